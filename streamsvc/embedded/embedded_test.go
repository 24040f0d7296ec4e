package embedded_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/streamsvc/embedded"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

// The embedded broker drops old data beyond the retention size, so a long demo does not
// grow memory without bound.
func TestRetentionBoundsTheLog(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := embedded.Start(ctx, embedded.Options{Topics: []string{"demo"}, Partitions: 1, RetentionBytes: 64 << 10, CleanerBackoff: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	kc, err := kafkaconf.FromMap(map[string]string{"KAFKA_BROKERS": b.Addrs[0]})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kafkaconf.NewClient(kc, kgo.DefaultProduceTopic("demo"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for range 1000 { // ~1 MB of incompressible data, 16 times the retention
		v := make([]byte, 1000)
		_, _ = rand.Read(v)
		cl.Produce(ctx, &kgo.Record{Value: v}, nil)
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	adm := kadm.NewClient(cl)
	for {
		starts, err := adm.ListStartOffsets(ctx, "demo")
		if err != nil {
			t.Fatal(err)
		}
		s, _ := starts.Lookup("demo", 0)
		if s.Offset > 800 {
			return // at most ~200 records (200 KB) are kept
		}
		if ctx.Err() != nil {
			t.Fatalf("log start offset still %d after 1000 records of 1 KB with 64 KiB retention", s.Offset)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
