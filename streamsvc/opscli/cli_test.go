package opscli_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/internal/kafkatest"
	"github.com/streamaudit/streamaudit/streamsvc/dlq"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
	"github.com/streamaudit/streamaudit/streamsvc/opscli"
)

func run(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	err := opscli.Run(ctx, args, &out, &errb, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	return out.String(), errb.String(), err
}

func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	out, stderr, err := run(t, env, args...)
	if err != nil {
		t.Fatalf("streamsvc %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// Every command reaches the cluster through KAFKA_BROKERS, KAFKA_TOPIC and the security
// variables alone (no flags), for each security protocol the cluster can require.
func TestCommandsHonourEnvAndSecurity(t *testing.T) {
	for _, proto := range []string{"plaintext", "ssl", "sasl_plaintext", "sasl_ssl"} {
		t.Run(proto, func(t *testing.T) {
			c := kafkatest.NewSecure(t, kafkatest.Security{Protocol: proto},
				kafkatest.Topic("ops-topic", 2), kafkatest.Topic("ops-dlq", 1))
			env := c.Env(map[string]string{"KAFKA_TOPIC": "ops-topic", "KAFKA_DLQ_TOPIC": "ops-dlq"})

			out := mustRun(t, env, "produce", "--count", "20", "--invalid-ratio", "0.1")
			if !strings.Contains(out, "produced 20 records (2 invalid) to ops-topic") {
				t.Fatalf("produce: %q", out)
			}
			// tail: unique group, nothing committed.
			out, stderr, err := run(t, env, "tail", "--from-beginning", "--count", "20")
			if err != nil {
				t.Fatalf("tail: %v %s", err, stderr)
			}
			if n := strings.Count(out, "\n"); n != 20 || strings.Count(out, "INVALID") != 2 {
				t.Fatalf("tail printed %d lines (%d invalid), want 20 (2):\n%s", n, strings.Count(out, "INVALID"), out)
			}
			if !regexp.MustCompile(`group streamsvc-tail-[0-9a-f]{12} \(commits: false\)`).MatchString(stderr) {
				t.Fatalf("tail without KAFKA_GROUP_ID should use a unique uncommitted group: %q", stderr)
			}
			if out := mustRun(t, env, "replay"); strings.Count(out, "\n") != 20 {
				t.Fatalf("replay printed %d lines, want 20", strings.Count(out, "\n"))
			}
			// An explicit group commits, and lag reports it caught up.
			genv := map[string]string{"KAFKA_GROUP_ID": "ops-group"}
			for k, v := range env {
				genv[k] = v
			}
			if _, stderr, err := run(t, genv, "tail", "--from-beginning", "--count", "20"); err != nil || !strings.Contains(stderr, "group ops-group (commits: true)") {
				t.Fatalf("tail with KAFKA_GROUP_ID: %v %q", err, stderr)
			}
			out = mustRun(t, genv, "lag")
			if !regexp.MustCompile(`(?m)^\s+0\s+total$`).MatchString(out) || !strings.Contains(out, "ops-topic") {
				t.Fatalf("lag after a committed tail should total 0:\n%s", out)
			}
			// dlq lists a dead-letter record with its origin.
			kc := c.Config(t, map[string]string{"KAFKA_TOPIC": "ops-topic"})
			cl, err := kafkaconf.NewClient(kc)
			if err != nil {
				t.Fatal(err)
			}
			orig := &kgo.Record{Topic: "ops-topic", Partition: 1, Offset: 7, Value: []byte("garbage")}
			if err := cl.ProduceSync(t.Context(), dlq.Record("ops-dlq", orig, errors.New("decode: boom"))).FirstErr(); err != nil {
				t.Fatal(err)
			}
			cl.Close()
			out = mustRun(t, env, "dlq")
			if !strings.Contains(out, "from ops-topic/1@7\tdecode: boom\t\"garbage\"") {
				t.Fatalf("dlq: %q", out)
			}
		})
	}
}

func TestFlagsOverrideEnv(t *testing.T) {
	c := kafkatest.New(t, kafkatest.Topic("flag-topic", 1), kafkatest.Topic("env-topic", 1))
	env := map[string]string{"KAFKA_BROKERS": "127.0.0.1:1", "KAFKA_TOPIC": "env-topic"}
	out := mustRun(t, env, "produce", "--brokers", strings.Join(c.Addrs, ","), "--topic", "flag-topic", "--count", "3")
	if !strings.Contains(out, "produced 3 records (0 invalid) to flag-topic") {
		t.Fatalf("produce with flags: %q", out)
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want string
		is   error
	}{
		{[]string{"bogus"}, nil, `unknown command "bogus"`, opscli.ErrUsage},
		{[]string{"produce", "--invalid-ratio", "2"}, nil, "--invalid-ratio=2: want 0..1", opscli.ErrUsage},
		{[]string{"tail", "--count", "-1"}, nil, "--count=-1", opscli.ErrUsage},
		{[]string{"lag", "--brokers", "nohostport"}, nil, `--brokers/KAFKA_BROKERS="nohostport": want host:port`, kafkaconf.ErrInvalid},
		{[]string{"replay"}, map[string]string{"KAFKA_AUTO_OFFSET_RESET": "newest"}, `KAFKA_AUTO_OFFSET_RESET="newest": want earliest or latest`, kafkaconf.ErrInvalid},
		{[]string{"produce", "extra"}, nil, `unexpected argument "extra"`, opscli.ErrUsage},
	}
	for _, tc := range cases {
		_, _, err := run(t, tc.env, tc.args...)
		if err == nil || !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want %q (%v)", tc.args, err, tc.want, tc.is)
		}
	}
}
