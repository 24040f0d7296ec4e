package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/internal/kafkatest"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

// started is a testbroker run in this process.
type started struct {
	vars map[string]string // KEY=VALUE lines printed at startup
	done chan error
	stop context.CancelFunc
}

// startRun runs the command with args until the test ends and waits for its startup
// lines (up to CONTROL= when -control is given).
func startRun(t *testing.T, args ...string) *started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &started{vars: map[string]string{}, done: make(chan error, 1), stop: cancel}
	var stderr bytes.Buffer
	go func() {
		err := run(ctx, args, pw, &stderr)
		pw.CloseWithError(io.EOF)
		s.done <- err
	}()
	wantControl := false
	for _, a := range args {
		wantControl = wantControl || a == "-control"
	}
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			s.vars[k] = v
		}
		if s.vars["KAFKA_SECURITY_PROTOCOL"] != "" && (!wantControl || s.vars["CONTROL"] != "") {
			break
		}
	}
	if s.vars["KAFKA_BROKERS"] == "" {
		cancel()
		t.Fatalf("testbroker %v printed no KAFKA_BROKERS line; run returned %v; stderr: %s", args, <-s.done, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	return s
}

func TestRunServesClientsAndStopsOnCancel(t *testing.T) {
	s := startRun(t, "-topic", "dashstream-quality:3", "-brokers", "2")
	if got := len(strings.Split(s.vars["KAFKA_BROKERS"], ",")); got != 2 {
		t.Fatalf("KAFKA_BROKERS=%s: want 2 brokers", s.vars["KAFKA_BROKERS"])
	}
	if s.vars["KAFKA_SECURITY_PROTOCOL"] != "plaintext" {
		t.Fatalf("KAFKA_SECURITY_PROTOCOL=%s, want plaintext", s.vars["KAFKA_SECURITY_PROTOCOL"])
	}
	cfg, err := kafkaconf.FromMap(map[string]string{"KAFKA_BROKERS": s.vars["KAFKA_BROKERS"]})
	if err != nil {
		t.Fatal(err)
	}
	adm, err := kafkaconf.NewAdmin(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	td, err := adm.ListTopics(ctx, "dashstream-quality")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(td["dashstream-quality"].Partitions); got != 3 {
		t.Fatalf("dashstream-quality has %d partitions, want 3", got)
	}
	s.stop()
	if err := <-s.done; err != nil {
		t.Fatalf("run after cancel: %v", err)
	}
	s.done <- nil // for the cleanup
}

func TestRunControlAPIMakesTopicUnwritable(t *testing.T) {
	s := startRun(t, "-topic", "data:1", "-topic", "dlq:1", "-control", "127.0.0.1:0")
	control := s.vars["CONTROL"]
	resp, err := http.PostForm(control+"/faults/unwritable", url.Values{"topic": {"dlq"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), `"topic": "dlq"`) {
		t.Fatalf("POST /faults/unwritable: %d %s", resp.StatusCode, body)
	}
	cfg, err := kafkaconf.FromMap(map[string]string{"KAFKA_BROKERS": s.vars["KAFKA_BROKERS"]})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kafkaconf.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "dlq", Value: []byte("x")}).FirstErr(); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("produce to dlq while unwritable: %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "data", Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatalf("produce to data: %v", err)
	}
	req, _ := http.NewRequest(http.MethodDelete, control+"/faults", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE /faults: %v %v", resp, err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "dlq", Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatalf("produce to dlq after clearing faults: %v", err)
	}
	resp, err = http.Get(control + "/state")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"name": "dlq"`) || !strings.Contains(string(body), `"high_watermark": 1`) {
		t.Fatalf("GET /state does not show dlq with one record:\n%s", body)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	ca := kafkatest.NewCA(t)
	badUsers := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(badUsers, []byte("# users\nPLAIN:alice:ok\nMD5:bob:hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-topic", "t:zero"}, `-topic: topic "t:zero": partitions "zero": want a positive number`},
		{[]string{"-topic", ":3"}, `empty name`},
		{[]string{"-ports", "9092,x"}, `-ports "9092,x": port "x": want a number 0-65535`},
		{[]string{"-sasl"}, "SASL is enabled but no user is configured"},
		{[]string{"-user", "PLAIN:alice:hunter2"}, "SASL users are configured but SASL is not enabled"},
		{[]string{"-sasl", "-user", "MD5:alice:hunter2"}, `mechanism "MD5": want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`},
		{[]string{"-sasl", "-user", "PLAIN:alice"}, "want MECH:user:password"},
		{[]string{"-tls-cert", ca.CertFile}, "TLS needs both a certificate and a key file"},
		{[]string{"-tls-cert", ca.CAFile, "-tls-key", ca.CertFile}, "load TLS certificate"},
		{[]string{"-sasl", "-users-file", badUsers}, badUsers + `:3: user "bob": mechanism "MD5"`},
		{[]string{"-sasl", "-users-file", badUsers + ".missing"}, "no such file"},
		{[]string{"-tls-client-ca", ca.CAFile}, "-tls-client-ca needs -tls-cert and -tls-key"},
		{[]string{"-tls-cert", ca.CertFile, "-tls-key", ca.KeyFile, "-tls-client-ca", ca.KeyFile}, "no PEM certificate found"},
		{[]string{"-listen", "0.0.0.0"}, `listen host "0.0.0.0" is a wildcard: set an advertised host`},
		{[]string{"-control", "10.1.2.3:9644"}, "bind a loopback address"},
		{[]string{"-log", "loud"}, `-log "loud": want none`},
		{[]string{"-brokers", "-1"}, "brokers -1: want at least 1"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-sync-writes"}, "sync writes need a data directory"},
	} {
		var stderr bytes.Buffer
		err := run(context.Background(), tc.args, io.Discard, &stderr)
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("testbroker %v: error %v, want a usage error containing %q", tc.args, err, tc.want)
			continue
		}
		if strings.Contains(err.Error()+stderr.String(), "hunter2") {
			t.Errorf("testbroker %v: the password appears in the error or stderr: %v %s", tc.args, err, stderr.String())
		}
	}
}

// -data-dir (or TESTBROKER_DATA_DIR) keeps records across a restart of the command; the
// second start reports RESTORED=true and serves what the first one stored.
func TestRunDataDirSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TESTBROKER_DATA_DIR", dir)
	s := startRun(t, "-topic", "data:2")
	if s.vars["DATA_DIR"] != dir || s.vars["RESTORED"] != "false" {
		t.Fatalf("first start printed DATA_DIR=%q RESTORED=%q, want %s and false", s.vars["DATA_DIR"], s.vars["RESTORED"], dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	produceN := func(brokers string, n int) {
		cfg, err := kafkaconf.FromMap(map[string]string{"KAFKA_BROKERS": brokers})
		if err != nil {
			t.Fatal(err)
		}
		cl, err := kafkaconf.NewClient(cfg, kgo.DefaultProduceTopic("data"))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		for range n {
			if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("x")}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	produceN(s.vars["KAFKA_BROKERS"], 10)
	s.stop()
	if err := <-s.done; err != nil {
		t.Fatalf("first run: %v", err)
	}
	s.done <- nil

	again := startRun(t, "-topic", "data:2", "-control", "127.0.0.1:0")
	if again.vars["RESTORED"] != "true" {
		t.Fatalf("second start on %s printed RESTORED=%q, want true", dir, again.vars["RESTORED"])
	}
	produceN(again.vars["KAFKA_BROKERS"], 1)
	resp, err := http.Get(again.vars["CONTROL"] + "/state")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Topics []struct {
			Name       string `json:"name"`
			Partitions []struct {
				HighWatermark int64 `json:"high_watermark"`
			} `json:"partitions"`
		} `json:"topics"`
		Restored bool `json:"restored"`
	}
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	for _, tp := range st.Topics {
		for _, p := range tp.Partitions {
			total += p.HighWatermark
		}
	}
	if len(st.Topics) != 1 || total != 11 || !st.Restored {
		t.Fatalf("after the restart: %+v; want topic data with 10 stored + 1 new records, restored", st)
	}
}

func TestRunRejectsBadSyncWritesEnv(t *testing.T) {
	t.Setenv("TESTBROKER_SYNC_WRITES", "sometimes")
	err := run(context.Background(), nil, io.Discard, io.Discard)
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), `TESTBROKER_SYNC_WRITES="sometimes": want true or false`) {
		t.Fatalf("run with TESTBROKER_SYNC_WRITES=sometimes: %v", err)
	}
}
