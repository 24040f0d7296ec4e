package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamaudit/streamaudit/internal/kafkatest"
)

// kcatPath finds Debian's kcat. Without it the test skips, except in CI (CI=true), where
// scripts/install-deps.sh must have installed it.
func kcatPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("kcat is not installed but CI=true: scripts/install-deps.sh must install Debian's kcat (%v)", err)
	}
	t.Skipf("kcat (Debian package kcat, a librdkafka client) is not installed; run scripts/install-deps.sh: %v", err)
	return ""
}

// TestKcatSASLSSL proves a client nobody here wrote (librdkafka, through kcat) produces
// to and consumes from testbroker over TLS with SCRAM-SHA-512; librdkafka needs the SASL
// handshake v0 advertisement.
func TestKcatSASLSSL(t *testing.T) {
	kcat := kcatPath(t)
	ca := kafkatest.NewCA(t)
	users := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(users, []byte("SCRAM-SHA-512:alice:s3cret-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startRun(t, "-topic", "kcat-test:2", "-tls-cert", ca.CertFile, "-tls-key", ca.KeyFile,
		"-sasl", "-users-file", users, "-user", "PLAIN:bob:other-pw")
	if s.vars["KAFKA_SECURITY_PROTOCOL"] != "sasl_ssl" {
		t.Fatalf("KAFKA_SECURITY_PROTOCOL=%s, want sasl_ssl", s.vars["KAFKA_SECURITY_PROTOCOL"])
	}
	common := []string{"-b", s.vars["KAFKA_BROKERS"], "-t", "kcat-test",
		"-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanisms=SCRAM-SHA-512",
		"-X", "sasl.username=alice", "-X", "sasl.password=s3cret-pw",
		"-X", "ssl.ca.location=" + ca.CAFile}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	prod := exec.CommandContext(ctx, kcat, append([]string{"-P", "-K", ":"}, common...)...)
	prod.Stdin = strings.NewReader("k1:first\nk2:second\nk3:third\n")
	if out, err := prod.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
	cons := exec.CommandContext(ctx, kcat, append([]string{"-C", "-o", "beginning", "-c", "3", "-e", "-q", "-f", "%k=%s\n"}, common...)...)
	var stderr bytes.Buffer
	cons.Stderr = &stderr
	out, err := cons.Output()
	if err != nil {
		t.Fatalf("kcat -C: %v\n%s", err, stderr.String())
	}
	got := strings.Fields(string(out))
	want := map[string]bool{"k1=first": true, "k2=second": true, "k3=third": true}
	for _, g := range got {
		delete(want, g)
	}
	if len(got) != 3 || len(want) != 0 {
		t.Fatalf("kcat consumed %q, want k1=first, k2=second and k3=third", got)
	}

	// The same client with a wrong password is refused.
	bad := exec.CommandContext(ctx, kcat, "-L", "-b", s.vars["KAFKA_BROKERS"], "-m", "2",
		"-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanisms=SCRAM-SHA-512",
		"-X", "sasl.username=alice", "-X", "sasl.password=wrong",
		"-X", "ssl.ca.location="+ca.CAFile)
	if out, err := bad.CombinedOutput(); err == nil {
		t.Fatalf("kcat -L with a wrong password succeeded:\n%s", out)
	} else if !strings.Contains(strings.ToLower(string(out)), "authentication") {
		t.Fatalf("kcat -L with a wrong password failed without an authentication error:\n%s", out)
	}
}
