package lagmon

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamaudit/streamaudit/internal/kafkatest"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

// recordingLister is a countingLister that also keeps every error a refresh saw (the
// call's and each partition's), so a counted failure can be explained.
type recordingLister struct {
	countingLister
	mu   sync.Mutex
	errs []string
	// gate, when set, holds the next call before it reaches the broker until the
	// channel is closed (a refresh in flight across a rebalance); held counts held calls.
	gate atomic.Pointer[chan struct{}]
	held atomic.Int64
}

func (r *recordingLister) ListEndOffsets(ctx context.Context, topics ...string) (kadm.ListedOffsets, error) {
	if g := r.gate.Swap(nil); g != nil {
		r.held.Add(1)
		<-*g
	}
	lo, err := r.countingLister.ListEndOffsets(ctx, topics...)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs = append(r.errs, fmt.Sprintf("call %d: %v", r.calls.Load(), err))
	}
	lo.Each(func(o kadm.ListedOffset) {
		if o.Err != nil || o.Offset < 0 {
			r.errs = append(r.errs, fmt.Sprintf("call %d: %s/%d offset %d: %v", r.calls.Load(), o.Topic, o.Partition, o.Offset, o.Err))
		}
	})
	return lo, err
}

func (r *recordingLister) seen() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.errs, "; ")
}

// fastRefresh makes every owned partition stale 20 ms after its last end offset, so the
// refresher runs ListEndOffsets about every 20 ms: during start-up (before and right
// after the group join), while partitions move to a joining member and back.
var fastRefresh = Config{StaleAfter: 20 * time.Millisecond, MinRefreshInterval: 20 * time.Millisecond, TickInterval: 5 * time.Millisecond}

func failuresOf(t *testing.T, mb *member) float64 {
	t.Helper()
	return scrape(t, mb.reg)["websocket_kafka_lag_poll_failures_total"][""]
}

// TestStartupAndRebalanceRefreshesAreNotFailures is the soak's rebalance scenario on the
// in-process broker (docs/SOAK.md: two members of one group, the second joins and
// leaves): the refresher runs from before the first assignment, through the join and
// the leave, with refreshes in flight across every rebalance. None of that is a refresh
// failure: websocket_kafka_lag_poll_failures_total stays 0 on both members.
func TestStartupAndRebalanceRefreshesAreNotFailures(t *testing.T) {
	const topic, parts, group = "soak", 6, "g-startup"
	c := kafkatest.New(t, kafkatest.Topic(topic, parts))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run := func(mb *member) {
		done := make(chan struct{})
		go func() { defer close(done); mb.m.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	la := &recordingLister{countingLister: countingLister{inner: newAdmin(t, c)}}
	a := startMember(t, c, group, topic, memberOpts{cfg: fastRefresh, lister: la})
	run(a) // the refresher starts while the member is still joining, as in server.Run
	produce(t, c, topic, 10, parts)
	waitFor(t, "member A owns all partitions and refreshed", func() bool {
		return a.m.Owned() == parts && la.calls.Load() >= 5
	})

	// A's next refresh is built from its 6 partitions and held until B has taken 3 of
	// them: its answer then covers partitions A just lost (fenced, not a failure).
	gate := make(chan struct{})
	la.gate.Store(&gate)
	waitFor(t, "a refresh of member A held before the join", func() bool { return la.held.Load() == 1 })
	lb := &recordingLister{countingLister: countingLister{inner: newAdmin(t, c)}}
	b := startMember(t, c, group, topic, memberOpts{cfg: fastRefresh, lister: lb})
	run(b)
	waitFor(t, "partitions split 3/3", func() bool { return a.m.Owned() == 3 && b.m.Owned() == 3 })
	fenced := scrape(t, a.reg)["websocket_kafka_lag_fenced_updates_total"][""]
	close(gate)
	waitFor(t, "the held refresh answered for the lost partitions", func() bool {
		return scrape(t, a.reg)["websocket_kafka_lag_fenced_updates_total"][""] >= fenced+3
	})
	produce(t, c, topic, 10, parts)
	ca, cb := la.calls.Load(), lb.calls.Load()
	waitFor(t, "both members refreshed after the join", func() bool {
		return la.calls.Load() >= ca+5 && lb.calls.Load() >= cb+5
	})
	fb := failuresOf(t, b)

	b.leave()
	waitFor(t, "member A owns all partitions again", func() bool { return a.m.Owned() == parts })
	ca = la.calls.Load()
	waitFor(t, "member A refreshed after the leave", func() bool { return la.calls.Load() >= ca+5 })

	if v := failuresOf(t, a); v != 0 {
		t.Errorf("member A: poll failures = %v after start-up, a join and a leave with a healthy broker, want 0 (errors seen: %s)", v, la.seen())
	}
	if fb != 0 {
		t.Errorf("member B: poll failures = %v after its start-up, want 0 (errors seen: %s)", fb, lb.seen())
	}
	if s := la.seen() + lb.seen(); s != "" {
		t.Errorf("a healthy broker answered refreshes with errors: %s", s)
	}
}

// TestRefreshFailuresStillCount: real failures are counted: ListOffsets answered with an
// authorization error or a partition error by the broker (its fault API), ListOffsets
// connections dropped (timeout), and a broker that does not listen at all. After a
// fault is cleared the counter stops growing.
func TestRefreshFailuresStillCount(t *testing.T) {
	const topic, parts, group = "faulty", 2, "g-faulty"
	c := kafkatest.New(t, kafkatest.Topic(topic, parts))
	cfg := fastRefresh
	cfg.RefreshTimeout = 300 * time.Millisecond
	l := &recordingLister{countingLister: countingLister{inner: newAdmin(t, c)}}
	mb := startMember(t, c, group, topic, memberOpts{cfg: cfg, lister: l})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); mb.m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "owned and refreshed", func() bool { return mb.m.Owned() == parts && l.calls.Load() >= 3 })
	if v := failuresOf(t, mb); v != 0 {
		t.Fatalf("poll failures = %v before any fault, want 0 (%s)", v, l.seen())
	}

	for _, f := range []struct {
		name  string
		apply func() (clear func())
	}{
		{"TOPIC_AUTHORIZATION_FAILED", func() func() {
			return c.FailRequests(int16(kmsg.ListOffsets), topic, kerr.TopicAuthorizationFailed)
		}},
		{"UNKNOWN_SERVER_ERROR per partition", func() func() {
			return c.FailRequests(int16(kmsg.ListOffsets), topic, kerr.UnknownServerError)
		}},
		{"dropped ListOffsets connections", func() func() { return c.DropRequests(int16(kmsg.ListOffsets)) }},
	} {
		before := failuresOf(t, mb)
		clear := f.apply()
		waitFor(t, f.name+" counted", func() bool { return failuresOf(t, mb) >= before+2 })
		clear()
		// one refresh may still be in flight with the fault; after it, none fails
		n := l.calls.Load()
		waitFor(t, "a refresh after clearing "+f.name, func() bool { return l.calls.Load() >= n+2 })
		settled, n := failuresOf(t, mb), l.calls.Load()
		waitFor(t, "refreshes after clearing "+f.name, func() bool { return l.calls.Load() >= n+5 })
		if v := failuresOf(t, mb); v != settled {
			t.Errorf("%s cleared: poll failures grew from %v to %v over healthy refreshes", f.name, settled, v)
		}
	}

	// a broker nobody listens on: every refresh times out or is refused
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	kc, err := kafkaconf.FromMap(map[string]string{"KAFKA_BROKERS": addr})
	if err != nil {
		t.Fatal(err)
	}
	dead, err := kafkaconf.NewAdmin(kc)
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	clk := newFakeClock()
	m, reg := newTestMonitor(t, Config{Now: clk.Now, RefreshTimeout: 300 * time.Millisecond}, dead)
	m.Assigned(map[string][]int32{topic: {0, 1}})
	m.tick(context.Background())
	clk.Advance(time.Minute)
	m.tick(context.Background())
	if v := scrape(t, reg)["websocket_kafka_lag_poll_failures_total"][""]; v != 2 || m.Refreshes() != 2 {
		t.Errorf("unreachable broker: poll failures = %v after %d refreshes, want 2 of 2", v, m.Refreshes())
	}
}
