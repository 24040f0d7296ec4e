package server_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/streamsvc/loadgen"
	"github.com/streamaudit/streamaudit/streamsvc/server"
)

// A run stopped mid-stream (SIGTERM) and a second run of the same group: the second
// continues from the committed offset, so every sequence number is delivered, with
// duplicates allowed (and counted here: the new process cannot know what the old one
// delivered).
func TestRestartMidStreamNoGap(t *testing.T) {
	c := cluster(t, 3)
	kc := c.Config(t, map[string]string{"KAFKA_GROUP_ID": "restart"})
	// Small batches, so that a stop after 100 records leaves most of the topic unread.
	st := produce(t, kc, loadgen.Config{Count: 600, Threads: 6}, kgo.ProducerBatchMaxBytes(2000))
	tapA, tapB := newTap(), newTap()
	var once sync.Once
	hundred := make(chan struct{})
	// SIGTERM after the 100th record, while later records are still unread.
	tapA.onEach = func(n int) {
		if n >= 100 {
			once.Do(func() { close(hundred) })
		}
	}
	a := start(t, kc, server.Options{Tap: tapA, ConsumerOpts: []kgo.Opt{kgo.FetchMaxBytes(4000), kgo.FetchMaxPartitionBytes(2000)}})
	<-hundred
	a.cancel()
	<-a.done
	if a.err != nil {
		t.Fatalf("first run: %v", a.err)
	}
	handledA := int(val(a.svc.Metrics.MessagesSuccess))
	if handledA >= 600 || handledA < 100 {
		t.Fatalf("first run handled %d records; want a stop mid-stream after 100", handledA)
	}
	committed, _ := offsets(t, kc, "restart")
	var sum int64
	for _, o := range committed {
		sum += o
	}
	if sum == 0 || sum > int64(handledA) {
		t.Fatalf("first run committed %d after handling %d", sum, handledA)
	}
	b := start(t, kc, server.Options{Tap: tapB})
	eventually(t, "second run caught up", func() bool { return caughtUp(t, kc, "restart") })
	seenA, seenB := tapA.keys(), tapB.keys()
	dups := 0
	for k := range seenB {
		if seenA[k] > 0 {
			dups++
		}
	}
	for k := range allSeqs(st) {
		if seenA[k]+seenB[k] == 0 {
			t.Errorf("gap: %s handled by neither run", k)
		}
	}
	// The second run starts exactly at the committed offsets.
	if got := int(val(b.svc.Metrics.MessagesSuccess)); got != 600-int(sum) {
		t.Errorf("second run handled %d records, want %d (600 minus committed %d)", got, 600-int(sum), sum)
	}
	if dups != handledA-int(sum) {
		t.Errorf("%d duplicates across the restart, want handled-minus-committed = %d", dups, handledA-int(sum))
	}
	t.Logf("first run handled %d, committed %d; duplicates across the restart: %d", handledA, sum, dups)
	b.stop(t)
}

// Within one process a redelivered (thread, seq) is counted as a duplicate.
func TestDuplicatesCounted(t *testing.T) {
	c := cluster(t, 1)
	kc := c.Config(t, map[string]string{"KAFKA_GROUP_ID": "dups"})
	r := start(t, kc, server.Options{})
	cl, err := newProducer(kc)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	rec := `{"v":1,"thread_id":"t","seq":%d,"kind":"k","ts":"2026-01-01T00:00:00Z"}`
	for _, s := range []string{"1", "2", "2", "1", "3"} {
		v := strings.Replace(rec, "%d", s, 1)
		if err := cl.ProduceSync(t.Context(), &kgo.Record{Topic: topic, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	m := r.svc.Metrics
	eventually(t, "five records handled", func() bool { return val(m.MessagesSuccess) == 5 })
	if got := val(m.Duplicates); got != 2 {
		t.Fatalf("duplicates = %v, want 2", got)
	}
}

// KAFKA_AUTO_OFFSET_RESET=latest on a new group skips the backlog; earliest reads it.
func TestAutoOffsetReset(t *testing.T) {
	c := cluster(t, 2)
	base := c.Config(t, nil)
	backlog := produce(t, base, loadgen.Config{Count: 50, RunID: "backlog"})

	t.Run("earliest", func(t *testing.T) {
		kc := c.Config(t, map[string]string{"KAFKA_GROUP_ID": "reset-earliest", "KAFKA_AUTO_OFFSET_RESET": "earliest"})
		r := start(t, kc, server.Options{})
		eventually(t, "backlog read and committed", func() bool { return caughtUp(t, kc, "reset-earliest") })
		if got := val(r.svc.Metrics.MessagesSuccess); got != float64(backlog.Produced) {
			t.Fatalf("earliest handled %v records, want the backlog of %d", got, backlog.Produced)
		}
		r.stop(t)
	})
	t.Run("latest", func(t *testing.T) {
		kc := c.Config(t, map[string]string{"KAFKA_GROUP_ID": "reset-latest", "KAFKA_AUTO_OFFSET_RESET": "latest"})
		ws := newTap()
		r := start(t, kc, server.Options{Tap: ws})
		// Produce fresh records until the consumer, positioned at the end, sees one.
		cl, err := newProducer(kc)
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		gen, _ := loadgen.NewGen(loadgen.Config{Topic: topic, RunID: "fresh"})
		eventually(t, "a fresh record delivered", func() bool {
			r, _ := gen.Next()
			if err := cl.ProduceSync(t.Context(), r).FirstErr(); err != nil {
				t.Fatal(err)
			}
			return len(ws.keys()) > 0
		})
		for k := range ws.keys() {
			if strings.HasPrefix(k, "backlog-") {
				t.Fatalf("latest read backlog record %s", k)
			}
		}
		r.stop(t)
	})
}
