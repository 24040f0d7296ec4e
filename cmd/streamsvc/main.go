// Command streamsvc is the streaming service (serve) and its operator commands (tail,
// replay, lag, produce, dlq). See docs/ARCHITECTURE.md and docs/CONFIGURATION.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
	"github.com/streamaudit/streamaudit/streamsvc/opscli"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		os.Exit(exitOK)
	case errors.Is(err, opscli.ErrUsage), errors.Is(err, kafkaconf.ErrInvalid):
		fmt.Fprintln(os.Stderr, "streamsvc:", err)
		os.Exit(exitUsage)
	default:
		fmt.Fprintln(os.Stderr, "streamsvc:", err)
		os.Exit(exitError)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return opscli.Run(ctx, args, stdout, stderr, os.LookupEnv)
}
