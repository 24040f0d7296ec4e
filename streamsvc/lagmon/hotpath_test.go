package lagmon

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
)

func newTestMonitor(tb testing.TB, cfg Config, lister EndOffsetLister) (*Monitor, *prometheus.Registry) {
	tb.Helper()
	reg := prometheus.NewRegistry()
	m, err := New(cfg, reg, lister)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return m, reg
}

func TestProcessedAllocatesNothing(t *testing.T) {
	m, _ := newTestMonitor(t, Config{}, nil)
	m.Assigned(map[string][]int32{"t": {0}})
	s := m.Slot("t", 0)
	ts := time.Unix(1700000000, 0)
	var off int64
	allocs := testing.AllocsPerRun(1000, func() {
		off++
		s.Processed(off, ts)
	})
	if allocs != 0 {
		t.Fatalf("Processed allocates %v times per call, want 0", allocs)
	}
	lookups := testing.AllocsPerRun(1000, func() {
		if m.Slot("t", 0) == nil {
			t.Fatal("slot vanished")
		}
	})
	if lookups != 0 {
		t.Fatalf("Slot lookup allocates %v times per call, want 0", lookups)
	}
	var nilSlot *Slot
	nilSlot.Processed(1, ts) // must not panic
}

func BenchmarkProcessed(b *testing.B) {
	m, _ := newTestMonitor(b, Config{}, nil)
	m.Assigned(map[string][]int32{"t": {0}})
	s := m.Slot("t", 0)
	ts := time.Unix(1700000000, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Processed(int64(i), ts)
	}
}

// BenchmarkBaselineTwoAtomicStores is the floor Processed is compared against in the
// same run: two bare atomic stores, no liveness check.
func BenchmarkBaselineTwoAtomicStores(b *testing.B) {
	var x, y atomic.Int64
	ts := time.Unix(1700000000, 0)
	for i := 0; b.Loop(); i++ {
		x.Store(int64(i) + 1)
		y.Store(ts.UnixNano())
	}
}

// BenchmarkProcessedWhileScraped measures the hot path while another goroutine scrapes
// continuously (the readers never block the writer).
func BenchmarkProcessedWhileScraped(b *testing.B) {
	m, reg := newTestMonitor(b, Config{}, nil)
	m.Assigned(map[string][]int32{"t": {0}})
	s := m.Slot("t", 0)
	s.hw.Store(1 << 40)
	s.endAt.Store(time.Now().UnixNano())
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
				_, _ = reg.Gather()
			}
		}
	}()
	ts := time.Unix(1700000000, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Processed(int64(i), ts)
	}
	close(done)
}

func BenchmarkSlotLookup(b *testing.B) {
	m, _ := newTestMonitor(b, Config{}, nil)
	ps := make([]int32, 1000)
	for i := range ps {
		ps[i] = int32(i)
	}
	m.Assigned(map[string][]int32{"topic-a": ps})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if m.Slot("topic-a", int32(i%1000)) == nil {
			b.Fatal("missing slot")
		}
	}
}

// BenchmarkScrape is the lag monitor's share of a served scrape with n owned partitions,
// all lagging: what streamsvc's /metrics handler asks of it, i.e. the per-partition gauges
// through Exposition.AppendText (text format) plus Registry.Gather of the monitor's other
// metrics. The lister fails the benchmark if it is ever called (a scrape makes no Kafka
// request). Until the Exposition existed this measured Registry.Gather with every series
// in the registry; that path is now BenchmarkScrapeRegistry.
func BenchmarkScrape(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("partitions=%d", n), func(b *testing.B) {
			m, reg := benchMonitor(b, n)
			x := m.Exposition()
			buf, ends, _ := x.AppendText(nil, nil) // grow the buffer once, as a served scrape's pool does
			b.ReportAllocs()
			for b.Loop() {
				mfs, err := reg.Gather()
				if err != nil || len(mfs) == 0 {
					b.Fatalf("gather: %v", err)
				}
				if buf, ends, err = x.AppendText(buf[:0], ends[:0]); err != nil || len(ends) != len(partFamilies) {
					b.Fatalf("AppendText: %v", err)
				}
			}
			b.ReportMetric(float64(len(buf)), "text-bytes")
		})
	}
}

// BenchmarkScrapeRegistry is Registry.Gather with the per-partition gauges in the
// registry (a monitor whose Exposition is not used): the scrape path before the
// Exposition, kept as the baseline of BenchmarkScrape in the same run.
func BenchmarkScrapeRegistry(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("partitions=%d", n), func(b *testing.B) {
			_, reg := benchMonitor(b, n)
			b.ReportAllocs()
			for b.Loop() {
				mfs, err := reg.Gather()
				if err != nil || len(mfs) == 0 {
					b.Fatalf("gather: %v", err)
				}
			}
		})
	}
}

// benchMonitor is a monitor owning n partitions of one topic, all 500 records behind with
// a fresh end offset; its lister fails the benchmark if called.
func benchMonitor(tb testing.TB, n int) (*Monitor, *prometheus.Registry) {
	m, reg := newTestMonitor(tb, Config{}, &failLister{tb: tb})
	assignN(m, "topic", n)
	now := time.Now()
	for _, s := range m.current.Load().order {
		s.hw.Store(1000)
		s.endAt.Store(now.UnixNano())
		s.Processed(500, now.Add(-time.Second))
	}
	return m, reg
}

func assignN(m *Monitor, topic string, n int) {
	ps := make([]int32, n)
	for i := range ps {
		ps[i] = int32(i)
	}
	m.Assigned(map[string][]int32{topic: ps})
}

func TestObserveFetchesAllocatesNothing(t *testing.T) {
	m, _ := newTestMonitor(t, Config{}, nil)
	assignN(m, "t", 8)
	now := time.Now()
	var fs []kgo.Fetch
	for p := int32(0); p < 8; p++ {
		fs = append(fs, fetch("t", p, 100, 100, rec(10, now), rec(11, now))...)
	}
	m.ObserveFetches(fs) // grows the internal list once
	if allocs := testing.AllocsPerRun(100, func() { m.ObserveFetches(fs) }); allocs != 0 {
		t.Fatalf("ObserveFetches allocates %v times per poll, want 0", allocs)
	}
}
