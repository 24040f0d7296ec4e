package opscli_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamaudit/streamaudit/internal/kafkatest"
	"github.com/streamaudit/streamaudit/streamsvc/opscli"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func scrape(addr, metric string) float64 {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(metric) + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// serve --embedded needs no Kafka: records flow from the synthetic producer through the
// in-process broker to /metrics, and the command returns nil when cancelled. Security
// variables in the environment do not apply to the embedded plaintext broker.
func TestServeEmbedded(t *testing.T) {
	addr := freeAddr(t)
	env := map[string]string{"STREAMSVC_HTTP_ADDR": addr, "KAFKA_SECURITY_PROTOCOL": "sasl_ssl", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() {
		done <- opscli.Run(ctx, []string{"serve", "--embedded", "--embedded-rate", "200", "--embedded-invalid-ratio", "0.1"}, io.Discard, &stderr,
			func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	}()
	deadline := time.Now().Add(45 * time.Second)
	for scrape(addr, `websocket_kafka_messages_total{status="success"}`) < 20 || scrape(addr, `websocket_dlq_sent_total`) < 2 {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no records flowing in embedded mode; stderr:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve --embedded: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve --embedded did not stop")
	}
	if !strings.Contains(stderr.String(), "open http://"+addr+"/") {
		t.Fatalf("no hint where to look; stderr:\n%s", stderr.String())
	}
}

// replay --to copies a topic; dlq --redrive puts dead letters back on their topic.
func TestReplayToAndRedrive(t *testing.T) {
	c := kafkatest.New(t, kafkatest.Topic("src", 2), kafkatest.Topic("copy", 1), kafkatest.Topic("src-dlq", 1))
	env := c.Env(map[string]string{"KAFKA_TOPIC": "src", "KAFKA_DLQ_TOPIC": "src-dlq"})
	mustRun(t, env, "produce", "--count", "10", "--invalid-ratio", "0.2")
	if out := mustRun(t, env, "replay", "--to", "copy"); !strings.Contains(out, "replayed 10 records from src into copy") {
		t.Fatalf("replay --to: %q", out)
	}
	if out := mustRun(t, env, "replay", "--topic", "copy"); strings.Count(out, "\n") != 10 || strings.Count(out, "INVALID") != 2 {
		t.Fatalf("copy holds:\n%s", out)
	}
	// Run the service briefly so the two invalid records reach the DLQ.
	addr := freeAddr(t)
	senv := map[string]string{"STREAMSVC_HTTP_ADDR": addr}
	for k, v := range env {
		senv[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- opscli.Run(ctx, []string{"serve"}, io.Discard, io.Discard, func(k string) (string, bool) { v, ok := senv[k]; return v, ok })
	}()
	deadline := time.Now().Add(45 * time.Second)
	for scrape(addr, "websocket_dlq_sent_total") < 2 {
		if time.Now().After(deadline) {
			t.Fatal("invalid records never reached the DLQ")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, env, "dlq", "--redrive")
	if strings.Count(out, "from src/") != 2 {
		t.Fatalf("dlq --redrive listed:\n%s", out)
	}
	if out := mustRun(t, env, "replay"); strings.Count(out, "\n") != 12 || strings.Count(out, "INVALID") != 4 {
		t.Fatalf("after redrive src should hold 12 records, 4 invalid:\n%s", out)
	}
}
