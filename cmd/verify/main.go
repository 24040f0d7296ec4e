// Command verify runs streamaudit's checks on a repository and writes audit reports
// (text, Markdown, JSON, SARIF, JUnit, GitHub annotations). See docs/CHECKS.md and
// docs/INTEGRATIONS.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/streamaudit/streamaudit/internal/verifycmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := verifycmd.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
