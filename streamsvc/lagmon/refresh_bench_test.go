package lagmon

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/streamaudit/streamaudit/internal/kafkatest"
)

// fixedLister returns one prebuilt answer (the cost of the monitor, not of building it).
type fixedLister struct{ listed kadm.ListedOffsets }

func (l fixedLister) ListEndOffsets(context.Context, ...string) (kadm.ListedOffsets, error) {
	return l.listed, nil
}

// BenchmarkRefresh10000 is one fallback refresh of 10,000 stale owned partitions: stale
// detection over the assignment plus applying the listed end offsets (the Kafka call is
// a prebuilt answer here; BenchmarkRefreshKfake10000 adds a real one).
func BenchmarkRefresh10000(b *testing.B) {
	const n = 10000
	listed := kadm.ListedOffsets{"topic": {}}
	for p := range int32(n) {
		listed["topic"][p] = kadm.ListedOffset{Topic: "topic", Partition: p, Offset: 1000}
	}
	clk := newFakeClock()
	m, _ := newTestMonitor(b, Config{Now: clk.Now, StaleAfter: time.Second, MinRefreshInterval: time.Second}, fixedLister{listed})
	assignN(m, "topic", n)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		clk.Advance(2 * time.Second)
		m.tick(ctx)
	}
	if m.Refreshes() == 0 {
		b.Fatal("no refresh ran")
	}
}

// BenchmarkRefreshKfake10000 is one refresh of a 10,000-partition topic against the
// in-process broker (ListEndOffsets through kadm and the loopback network).
func BenchmarkRefreshKfake10000(b *testing.B) {
	const n = 10000
	c := kafkatest.New(b, kafkatest.Topic("wide", n))
	adm := newAdminTB(b, c)
	clk := newFakeClock()
	m, reg := newTestMonitor(b, Config{Now: clk.Now, StaleAfter: time.Second, MinRefreshInterval: time.Second}, adm)
	assignN(m, "wide", n)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		clk.Advance(2 * time.Second)
		m.tick(ctx)
	}
	if v := scrape(b, reg)["websocket_kafka_lag_poll_failures_total"][""]; v != 0 {
		b.Fatalf("%v refreshes failed", v)
	}
}
