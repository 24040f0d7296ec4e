// Package opscli is the `streamsvc` command line: serve and the operator commands tail,
// replay, lag, produce and dlq. Every command takes --brokers and --topic with the same
// environment fallbacks (KAFKA_BROKERS, KAFKA_TOPIC) and the same defaults, all taken from
// kafkaconf.Table, and builds every Kafka client through kafkaconf, so the security
// settings (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_SSL_*) apply to each of them.
package opscli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

// ErrUsage wraps command-line mistakes (exit code 2).
var ErrUsage = errors.New("usage")

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the service: consumer, DLQ, /ws, live page, /metrics (--embedded: in-process broker and synthetic load)", runServe},
		{"tail", "print records as they arrive (unique uncommitted group unless --group/KAFKA_GROUP_ID)", runTail},
		{"replay", "re-read a range of the topic to stdout or into another topic (no consumer group)", runReplay},
		{"lag", "print a group's committed offsets, end offsets and lag per partition", runLag},
		{"produce", "synthetic load: --count --rate --size --invalid-ratio, with sequence numbers", runProduce},
		{"dlq", "list dead-letter records with their original position and error; --redrive re-produces them", runDLQ},
	}
}

// env is what every command shares: output streams and the environment lookup.
type env struct {
	stdout, stderr io.Writer
	lookup         kafkaconf.LookupFunc
}

// Run executes `streamsvc <command> [flags]`.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup kafkaconf.LookupFunc) error {
	e := &env{stdout: stdout, stderr: stderr, lookup: lookup}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return fmt.Errorf("%w: no command given", ErrUsage)
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	usage(stderr)
	return fmt.Errorf("%w: unknown command %q", ErrUsage, args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: streamsvc <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nevery command: --brokers (env KAFKA_BROKERS), --topic (env KAFKA_TOPIC); security from KAFKA_* env (docs/CONFIGURATION.md)")
}

// common holds the flags every command has; they override the environment.
type common struct {
	fs      *flag.FlagSet
	brokers string
	topic   string
	group   *string // only for commands with --group
}

func tableDefault(name string) string {
	v, _ := kafkaconf.Lookup(name)
	return v.Default
}

func newFlags(e *env, name string, withGroup bool) *common {
	c := &common{fs: flag.NewFlagSet("streamsvc "+name, flag.ContinueOnError)}
	c.fs.SetOutput(e.stderr)
	c.fs.StringVar(&c.brokers, "brokers", "", "seed brokers host:port,... (env KAFKA_BROKERS, default "+tableDefault("KAFKA_BROKERS")+")")
	c.fs.StringVar(&c.topic, "topic", "", "telemetry topic (env KAFKA_TOPIC, default "+tableDefault("KAFKA_TOPIC")+")")
	if withGroup {
		c.group = new(string)
		c.fs.StringVar(c.group, "group", "", "consumer group (env KAFKA_GROUP_ID)")
	}
	return c
}

func (c *common) parse(args []string) error {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if c.fs.NArg() > 0 {
		return fmt.Errorf("%w: %s: unexpected argument %q", ErrUsage, c.fs.Name(), c.fs.Arg(0))
	}
	return nil
}

// config reads the environment with the flags laid over it and validates it.
func (c *common) config(e *env) (*kafkaconf.Config, error) {
	over := map[string]string{}
	if c.brokers != "" {
		over["KAFKA_BROKERS"] = c.brokers
	}
	if c.topic != "" {
		over["KAFKA_TOPIC"] = c.topic
	}
	if c.group != nil && *c.group != "" {
		over["KAFKA_GROUP_ID"] = *c.group
	}
	cfg, err := kafkaconf.FromLookup(func(k string) (string, bool) {
		if v, ok := over[k]; ok {
			return v, true
		}
		return e.lookup(k)
	})
	if err != nil {
		return nil, flagNames(err)
	}
	return cfg, nil
}

// flagNames adds the flag name to errors about variables a flag can set.
func flagNames(err error) error {
	msg := err.Error()
	for v, f := range map[string]string{"KAFKA_BROKERS": "--brokers", "KAFKA_TOPIC": "--topic", "KAFKA_GROUP_ID": "--group"} {
		msg = strings.ReplaceAll(msg, v+"=", f+"/"+v+"=")
	}
	return fmt.Errorf("%w: %s", kafkaconf.ErrInvalid, strings.TrimPrefix(msg, kafkaconf.ErrInvalid.Error()+": "))
}

// groupFor returns the group an operator command joins and whether it may commit: the
// explicit one (flag or KAFKA_GROUP_ID), else a fresh unique id that never commits.
func groupFor(cfg *kafkaconf.Config, cmd string) (string, bool) {
	if cfg.GroupIDSet {
		return cfg.GroupID, true
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "streamsvc-" + cmd + "-" + hex.EncodeToString(b[:]), false
}

func sortedPartitions[V any](m map[int32]V) []int32 {
	ps := make([]int32, 0, len(m))
	for p := range m {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	return ps
}
