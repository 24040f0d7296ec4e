package main

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBinaryStopsOnSIGTERM runs the built command: it prints the broker addresses and
// exits 0 on SIGTERM, as a container runtime stops it.
func TestBinaryStopsOnSIGTERM(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin := buildStatic(t, "testbroker")
	cmd := exec.CommandContext(ctx, bin, "-topic", "t:2")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "KAFKA_BROKERS=127.0.0.1:") {
		_ = cmd.Process.Kill()
		t.Fatalf("first line %q (%v), want KAFKA_BROKERS=127.0.0.1:PORT", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("testbroker after SIGTERM: %v, want exit status 0", err)
	}
}
