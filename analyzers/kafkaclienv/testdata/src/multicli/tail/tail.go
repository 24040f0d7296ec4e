// Package tail is one command of the multicli binary.
package tail // want package:"kafkaflags\\(tail:brokers\\)"

import "flag"

// Run parses the tail command's flags.
func Run(args []string) {
	fs := flag.NewFlagSet("tail", flag.ContinueOnError)
	fs.String("brokers", "localhost:9092", "brokers")
	fs.Parse(args)
}
