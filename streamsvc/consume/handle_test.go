package consume

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/streamsvc/dlq"
	"github.com/streamaudit/streamaudit/streamsvc/envelope"
	"github.com/streamaudit/streamaudit/streamsvc/exporter"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
	"github.com/streamaudit/streamaudit/streamsvc/lagmon"
)

type nopPub struct{ n int }

func (p *nopPub) Publish(string, []byte) { p.n++ }

// newTestConsumer builds a consumer that owns partition 0 of "t" without a broker: the
// client is created but never polled.
func newTestConsumer(tb testing.TB) (*Consumer, *nopPub) {
	tb.Helper()
	kc, err := kafkaconf.FromMap(map[string]string{"KAFKA_BROKERS": "127.0.0.1:1", "KAFKA_TOPIC": "t"})
	if err != nil {
		tb.Fatal(err)
	}
	m := exporter.NewMetrics()
	lag, err := lagmon.New(lagmon.Config{}, m.Registry, nil)
	if err != nil {
		tb.Fatal(err)
	}
	w, err := dlq.New(dlq.Config{Topic: "d"}, nil, m)
	if err != nil {
		tb.Fatal(err)
	}
	pub := &nopPub{}
	c, err := New(kc, Config{}, Deps{Metrics: m, Hub: pub, Lag: lag, DLQ: w})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.cl.Close)
	c.onAssigned(context.Background(), nil, map[string][]int32{"t": {0}})
	return c, pub
}

func fetches(n int, from int64) kgo.Fetches {
	recs := make([]*kgo.Record, n)
	for i := range recs {
		v := fmt.Appendf(nil, `{"v":1,"thread_id":"th","seq":%d,"kind":"k","ts":"2026-01-02T03:04:05Z","payload":{"x":1}}`, int(from)+i+1)
		recs[i] = &kgo.Record{Topic: "t", Partition: 0, Offset: from + int64(i), Value: v, Timestamp: time.Now()}
	}
	return kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: "t", Partitions: []kgo.FetchPartition{{Partition: 0, Records: recs}}}}}}
}

// Handling a record allocates nothing beyond decoding it: metrics, the lag slot, the
// duplicate check and the hand-off to the hub are allocation-free.
func TestHandleAllocatesOnlyForDecoding(t *testing.T) {
	c, pub := newTestConsumer(t)
	const n = 200
	fs := fetches(n, 0)
	perBatch := testing.AllocsPerRun(20, func() {
		// Re-deliver the same batch: sequences repeat (duplicates), which is fine here.
		c.handle(fs)
	})
	recs := fs.Records()
	decodeBatch := testing.AllocsPerRun(20, func() {
		for _, r := range recs {
			_, _ = envelope.Decode(r.Value)
		}
	})
	perDecode := decodeBatch / n
	extra := (perBatch - decodeBatch) / n
	if extra > 0.05 { // per-batch constants spread over n records stay below this
		t.Fatalf("handle allocates %.2f per record beyond decoding (%.1f per batch of %d, %.1f per decode)", extra, perBatch, n, perDecode)
	}
	if pub.n == 0 || c.parts[tp{"t", 0}].next != n {
		t.Fatalf("records not handled: published %d, next offset %d", pub.n, c.parts[tp{"t", 0}].next)
	}
}

func BenchmarkHandle(b *testing.B) {
	c, _ := newTestConsumer(b)
	const n = 500
	fs := fetches(n, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c.handle(fs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
}
