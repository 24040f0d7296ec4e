package exporter_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/streamsvc/exporter"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func TestReadinessAndEndpoints(t *testing.T) {
	m := exporter.NewMetrics()
	ready := exporter.NewReadiness(m.Ready, map[string]string{"service": "starting"})
	mux := http.NewServeMux()
	exporter.Register(mux, m, ready)

	if code, body := get(t, mux, "/readyz"); code != 503 || !strings.Contains(body, "service: starting") || testutil.ToFloat64(m.Ready) != 0 {
		t.Fatalf("/readyz while starting = %d %q", code, body)
	}
	ready.Clear("service")
	ready.Block("dlq", "1 partition(s) paused")
	ready.Clear("service") // clearing twice is harmless
	if code, body := get(t, mux, "/readyz"); code != 503 || !strings.Contains(body, "dlq: 1 partition(s) paused") {
		t.Fatalf("/readyz while blocked = %d %q", code, body)
	}
	ready.Clear("dlq")
	if code, body := get(t, mux, "/readyz"); code != 200 || testutil.ToFloat64(m.Ready) != 1 {
		t.Fatalf("/readyz when clear = %d %q, gauge %v", code, body, testutil.ToFloat64(m.Ready))
	}
	if code, body := get(t, mux, "/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Fatalf("/healthz = %d %q", code, body)
	}
	m.MessagesSuccess.Add(3)
	code, body := get(t, mux, "/metrics")
	for _, want := range []string{`websocket_kafka_messages_total{status="success"} 3`, `websocket_kafka_messages_total{status="error"} 0`, "go_goroutines", "streamsvc_ready 1"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestConnHookStreak(t *testing.T) {
	m := exporter.NewMetrics()
	ready := exporter.NewReadiness(m.Ready, nil)
	h := exporter.NewConnHook(m, exporter.InfraFetch, ready, "kafka-connect")
	if ok, _ := ready.Ready(); ok {
		t.Fatal("ready before any broker answered")
	}
	meta := kgo.BrokerMetadata{Host: "b1", Port: 9092}
	h.OnBrokerRead(meta, 0, 10, 0, 0, nil)
	if ok, _ := ready.Ready(); !ok {
		t.Fatal("not ready after a broker answered")
	}
	boom := errors.New("connection refused")
	h.OnBrokerConnect(meta, 0, nil, boom)
	h.OnBrokerConnect(meta, 0, nil, boom)
	if ok, _ := ready.Ready(); !ok {
		t.Fatal("two failures already block readiness; want three")
	}
	h.OnBrokerRead(meta, 0, 0, 0, 0, boom)
	if ok, reasons := ready.Ready(); ok || !strings.Contains(strings.Join(reasons, ""), "broker b1: connection refused") {
		t.Fatalf("after three failures: ready=%v %v", ok, reasons)
	}
	if got := testutil.ToFloat64(m.Infra[exporter.InfraFetch]); got != 3 {
		t.Fatalf("infrastructure errors = %v, want 3", got)
	}
	h.OnBrokerRead(meta, 0, 10, 0, 0, nil)
	if ok, _ := ready.Ready(); !ok {
		t.Fatal("still blocked after the broker answered again")
	}
}
