package soak

import (
	"strings"
	"testing"
)

const page = `# HELP websocket_kafka_consumer_lag Lag.
# TYPE websocket_kafka_consumer_lag gauge
websocket_kafka_consumer_lag{partition="0",topic="t"} 5
websocket_kafka_consumer_lag{partition="3",topic="t"} 7
# TYPE websocket_kafka_messages_total counter
websocket_kafka_messages_total{status="ok"} 100
websocket_kafka_messages_total{status="error"} 2
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes 1.048576e+06
# TYPE lat_seconds histogram
lat_seconds_bucket{le="1"} 3
lat_seconds_bucket{le="+Inf"} 4
lat_seconds_sum 2.5
lat_seconds_count 4
`

func TestParseMetrics(t *testing.T) {
	s, err := ParseMetrics(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := s.Value("go_memstats_heap_inuse_bytes", nil); !ok || v != 1<<20 {
		t.Fatalf("heap = %v, %v", v, ok)
	}
	if got := s.Sum("websocket_kafka_messages_total", nil); got != 102 {
		t.Fatalf("messages sum = %v, want 102", got)
	}
	if got := s.Sum("websocket_kafka_messages_total", map[string]string{"status": "ok"}); got != 100 {
		t.Fatalf("ok messages = %v, want 100", got)
	}
	if got := len(s.Named("websocket_kafka_consumer_lag")); got != 2 {
		t.Fatalf("lag series = %d, want 2", got)
	}
	if v, _ := s.Value("lat_seconds_count", nil); v != 4 {
		t.Fatalf("histogram count = %v", v)
	}
}

func TestParseMetricsRejectsGarbage(t *testing.T) {
	_, err := ParseMetrics(strings.NewReader("metric{ 1\n"))
	if err == nil || !strings.Contains(err.Error(), "parse metrics") {
		t.Fatalf("want a parse error, got %v", err)
	}
}
