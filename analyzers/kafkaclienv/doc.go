// Package kafkaclienv defines an Analyzer (rule kafka-cli-env) that reports Kafka CLI
// commands of one binary whose brokers/topic/group flags disagree on their environment
// binding or default, and hard-coded consumer group ids in operator commands.
//
// # Analyzer kafkaclienv
//
// kafkaclienv: report CLI commands whose Kafka flags disagree on env binding or default
//
// Flags are read from the standard library (flag.String, flag.StringVar and FlagSet
// methods, the command named by flag.NewFlagSet) and from spf13/pflag as cobra uses it
// (cmd.Flags().String/StringVar/StringP/StringVarP, the command named by cobra.Command's
// Use). A flag binds an environment variable when its default is os.Getenv("X") or a
// helper call with a constant "X" (envOr("KAFKA_BROKERS", "localhost:9092")), or when
// the function assigns os.Getenv("X") to the flag's variable after parsing.
//
// For each kind (brokers, topic, group) defined by two or more commands of one binary,
// every command that does not bind the variable another command binds is reported, and
// so is every constant default that differs from the most common one. Commands of other
// packages of the same module reach the binary as package facts; their disagreements are
// reported on the main package's package clause, naming where the flag is defined. In operator
// commands (a package main with subcommands or a path naming a CLI), a constant
// consumer group id (kgo.ConsumerGroup, sarama.NewConsumerGroup, kafka-go
// ReaderConfig.GroupID, confluent group.id, or a group flag's constant default without
// an environment binding) is reported: every operator shares and commits into it.
package kafkaclienv
