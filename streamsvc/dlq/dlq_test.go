package dlq_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/streamsvc/dlq"
	"github.com/streamaudit/streamaudit/streamsvc/exporter"
)

// fakeProducer fails the first n attempts.
type fakeProducer struct {
	mu    sync.Mutex
	fail  int
	calls int
	got   []*kgo.Record
}

func (f *fakeProducer) TryProduce(ctx context.Context, r *kgo.Record, promise func(*kgo.Record, error)) {
	f.mu.Lock()
	f.calls++
	fail := f.calls <= f.fail
	if !fail {
		f.got = append(f.got, r)
	}
	f.mu.Unlock()
	if fail {
		promise(r, errors.New("broker says no"))
		return
	}
	promise(r, nil)
}

func orig() *kgo.Record {
	return &kgo.Record{Topic: "src", Partition: 2, Offset: 41, Key: []byte("k"), Value: []byte("bad"),
		Headers: []kgo.RecordHeader{{Key: "loadgen.seq", Value: []byte("t/1")}}}
}

func TestRecordHeaders(t *testing.T) {
	r := dlq.Record("dead", orig(), errors.New("decode: boom"))
	want := map[string]string{"loadgen.seq": "t/1", dlq.HeaderTopic: "src", dlq.HeaderPartition: "2", dlq.HeaderOffset: "41", dlq.HeaderError: "decode: boom"}
	if r.Topic != "dead" || string(r.Key) != "k" || string(r.Value) != "bad" || len(r.Headers) != len(want) {
		t.Fatalf("record %+v", r)
	}
	for _, h := range r.Headers {
		if want[h.Key] != string(h.Value) {
			t.Errorf("header %s=%q, want %q", h.Key, h.Value, want[h.Key])
		}
	}
}

func TestFailClosedRetriesThenExhaustsThenSucceeds(t *testing.T) {
	m := exporter.NewMetrics()
	p := &fakeProducer{fail: 4}
	w, err := dlq.New(dlq.Config{Topic: "dead", MaxAttempts: 3, BaseBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}, p, m)
	if err != nil {
		t.Fatal(err)
	}
	exhausted := make(chan error, 1)
	done := make(chan error, 1)
	w.Send(t.Context(), orig(), errors.New("x"), dlq.Result{
		Exhausted: func(err error) { exhausted <- err },
		Done:      func(err error) { done <- err },
	})
	if err := <-exhausted; err == nil {
		t.Fatal("exhausted without an error")
	}
	if err := <-done; err != nil {
		t.Fatalf("done with %v, want success on the 5th attempt", err)
	}
	if f := testutil.ToFloat64(m.DLQSendFailures); f != 4 {
		t.Errorf("failures = %v, want 4", f)
	}
	if s := testutil.ToFloat64(m.DLQSent); s != 1 {
		t.Errorf("sent = %v, want 1", s)
	}
	if d := testutil.ToFloat64(m.DLQDropped); d != 0 {
		t.Errorf("dropped = %v in fail-closed mode", d)
	}
}

func TestFailClosedStopsWhenPartitionGone(t *testing.T) {
	m := exporter.NewMetrics()
	p := &fakeProducer{fail: 1 << 30}
	w, _ := dlq.New(dlq.Config{Topic: "dead", MaxAttempts: 1, BaseBackoff: time.Millisecond, MaxBackoff: time.Millisecond}, p, m)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	w.Send(ctx, orig(), errors.New("x"), dlq.Result{Exhausted: func(error) { cancel() }, Done: func(err error) { done <- err }})
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("done with %v, want context.Canceled", err)
	}
}

func TestBestEffortDropsOnFirstFailure(t *testing.T) {
	m := exporter.NewMetrics()
	p := &fakeProducer{fail: 1}
	w, _ := dlq.New(dlq.Config{Topic: "dead", Mode: dlq.BestEffort}, p, m)
	done := make(chan error, 1)
	w.Send(t.Context(), orig(), errors.New("x"), dlq.Result{Done: func(err error) { done <- err }})
	if err := <-done; err == nil {
		t.Fatal("best-effort reported success for a failed write")
	}
	if testutil.ToFloat64(m.DLQDropped) != 1 || p.calls != 1 {
		t.Fatalf("dropped=%v calls=%d, want 1 and 1 (no retry)", testutil.ToFloat64(m.DLQDropped), p.calls)
	}
}

func TestUnknownMode(t *testing.T) {
	_, err := dlq.New(dlq.Config{Mode: "maybe"}, &fakeProducer{}, exporter.NewMetrics())
	if !errors.Is(err, dlq.ErrMode) || err.Error() != `KAFKA_DLQ_MODE="maybe": want fail-closed or best-effort` {
		t.Fatalf("got %v", err)
	}
}
