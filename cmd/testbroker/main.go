// Command testbroker runs a Kafka-protocol test broker (franz-go's kfake) with seeded
// topics, retention, optional TLS and SASL users, and a loopback control HTTP API for
// faults. It prints KAFKA_BROKERS=... on startup and stops on SIGINT or SIGTERM.
//
//	testbroker -ports 9092 -topic dashstream-quality:6 -tls-cert s.pem -tls-key s-key.pem \
//	    -sasl -users-file users.txt -control 127.0.0.1:9644
//
// users.txt holds MECH:user:password lines (-user takes one on the command line).
// -data-dir DIR (env TESTBROKER_DATA_DIR) persists topics, records and committed group
// offsets in DIR and restores them when started again on DIR (-sync-writes, env
// TESTBROKER_SYNC_WRITES, fsyncs every batch); without it everything lives in RAM.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
		os.Exit(exitOK)
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "testbroker:", err)
		os.Exit(exitUsage)
	default:
		fmt.Fprintln(os.Stderr, "testbroker:", err)
		os.Exit(exitError)
	}
}
