package lagmon

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamaudit/streamaudit/internal/kafkatest"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

func lagsOf(s series, topic string, partitions int) map[string]float64 {
	out := map[string]float64{}
	for p := range partitions {
		k := fmt.Sprintf("%s/%d", topic, p)
		if v, ok := s["websocket_kafka_consumer_lag"][k]; ok {
			out[k] = v
		}
	}
	return out
}

func allZero(m map[string]float64, n int) bool {
	if len(m) != n {
		return false
	}
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return true
}

// TestLagMatchesKadmAndStalledConsumer: caught up the lag is exactly 0 and equals
// kadm.Lag; when the consumer stops polling, the fallback refresh runs at most once per
// interval, watermark age grows between refreshes, and lag keeps rising in step with
// kadm.Lag after each refresh.
func TestLagMatchesKadmAndStalledConsumer(t *testing.T) {
	const topic, parts = "orders", 3
	c := kafkatest.New(t, kafkatest.Topic(topic, parts))
	adm := newAdmin(t, c)
	clk := newFakeClock()
	lister := &countingLister{inner: adm}
	mb := startMember(t, c, "g-stall", topic, memberOpts{
		cfg:    Config{Now: clk.Now, StaleAfter: 10 * time.Second, MinRefreshInterval: 5 * time.Second},
		lister: lister,
	})
	produce(t, c, topic, 20, parts)
	waitFor(t, "60 records processed and committed", func() bool {
		return mb.processed.Load() == 60 && allZero(kadmLag(t, adm, "g-stall"), parts)
	})
	s := scrape(t, mb.reg)
	if got := lagsOf(s, topic, parts); !allZero(got, parts) {
		t.Fatalf("caught-up lag = %v, want exactly 0 on all %d partitions", got, parts)
	}
	for p := range parts {
		k := fmt.Sprintf("%s/%d", topic, p)
		if v := s["websocket_kafka_lag_seconds"][k]; v != 0 {
			t.Errorf("lag seconds %s = %v caught up, want 0", k, v)
		}
	}

	mb.paused.Store(true)
	waitFor(t, "consume loop stalled", mb.idle.Load)
	ctx := context.Background()
	calls := lister.calls.Load()
	for round := 1; round <= 3; round++ {
		produce(t, c, topic, 10, parts)
		for step := 1; step <= 11; step++ {
			clk.Advance(time.Second)
			mb.m.tick(ctx)
			if step == 5 {
				if v := scrape(t, mb.reg)["websocket_kafka_lag_watermark_age_seconds"][topic+"/0"]; v != 5 {
					t.Errorf("round %d: watermark age 5 s after the last end offset = %v, want 5", round, v)
				}
			}
		}
		if got := lister.calls.Load() - calls; got != 1 {
			t.Fatalf("round %d: %d ListEndOffsets calls in 11 s, want exactly 1 (stale after 10 s, at most one per 5 s)", round, got)
		}
		calls = lister.calls.Load()
		s := scrape(t, mb.reg)
		want := kadmLag(t, adm, "g-stall")
		got := lagsOf(s, topic, parts)
		if len(want) != parts || len(got) != parts {
			t.Fatalf("round %d: kadm.Lag %v, lag series %v: want %d partitions each", round, want, got, parts)
		}
		for k, w := range want {
			if w != float64(10*round) || got[k] != w {
				t.Errorf("round %d: lag %s = %v, kadm.Lag %v, want both %d", round, k, got[k], w, 10*round)
			}
			if v := s["websocket_kafka_lag_watermark_age_seconds"][k]; v != 0 {
				t.Errorf("round %d: watermark age %s = %v right after the refresh, want 0", round, k, v)
			}
			if v := s["websocket_kafka_lag_offset_age_seconds"][k]; v != float64(11*round) {
				t.Errorf("round %d: offset age %s = %v, want %d (no progress since the stall)", round, k, v, 11*round)
			}
			if v := s["websocket_kafka_lag_seconds"][k]; v <= 0 {
				t.Errorf("round %d: lag seconds %s = %v with a backlog, want > 0", round, k, v)
			}
		}
	}

	// resume: the backlog drains, every gauge returns to 0
	mb.paused.Store(false)
	waitFor(t, "backlog drained", func() bool { return allZero(lagsOf(scrape(t, mb.reg), topic, parts), parts) })
	s = scrape(t, mb.reg)
	for p := range parts {
		k := fmt.Sprintf("%s/%d", topic, p)
		if v := s["websocket_kafka_lag_offset_age_seconds"][k]; v != 0 {
			t.Errorf("offset age %s = %v after catching up, want 0", k, v)
		}
	}
	waitFor(t, "kadm.Lag 0 after the commit", func() bool { return allZero(kadmLag(t, adm, "g-stall"), parts) })
}

// TestReadCommittedTransactions: under read_committed the end offset is the last stable
// offset; with control records marked processed the lag is 0 (not 1) when caught up and
// equals kadm.Lag, also with an aborted transaction in the log.
func TestReadCommittedTransactions(t *testing.T) {
	const topic, parts = "tx", 2
	c := kafkatest.New(t, kafkatest.Topic(topic, parts))
	adm := newAdmin(t, c)
	lister := &countingLister{inner: adm}
	clk := newFakeClock()
	mb := startMember(t, c, "g-tx", topic, memberOpts{
		cfg:      Config{ReadCommitted: true, Now: clk.Now, StaleAfter: 10 * time.Second, MinRefreshInterval: 5 * time.Second},
		lister:   lister,
		extra:    []kgo.Opt{kgo.FetchIsolationLevel(kgo.ReadCommitted())},
		keepCtrl: true,
	})
	prod, err := kafkaconf.NewClient(c.Config(t, nil), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.TransactionalID("lagmon-tx"))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	ctx := context.Background()
	txn := func(n int, commit kgo.TransactionEndTry) {
		t.Helper()
		if err := prod.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for p := range parts {
			for i := range n {
				prod.Produce(ctx, &kgo.Record{Partition: int32(p), Value: fmt.Appendf(nil, "%d", i)}, nil)
			}
		}
		if err := prod.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := prod.EndTransaction(ctx, commit); err != nil {
			t.Fatal(err)
		}
	}
	txn(10, kgo.TryCommit)
	txn(5, kgo.TryAbort)
	txn(5, kgo.TryCommit)
	waitFor(t, "30 committed records processed", func() bool { return mb.processed.Load() == 30 })
	waitFor(t, "lag 0 on both partitions", func() bool { return allZero(lagsOf(scrape(t, mb.reg), topic, parts), parts) })
	waitFor(t, "kadm.Lag 0", func() bool { return allZero(kadmLag(t, adm, "g-tx"), parts) })
	s := scrape(t, mb.reg)
	for p := range parts {
		k := fmt.Sprintf("%s/%d", topic, p)
		if v := s["websocket_kafka_lag_seconds"][k]; v != 0 {
			t.Errorf("lag seconds %s = %v caught up, want 0", k, v)
		}
	}
	// a backlog of committed transactions while the consumer is stalled: after one
	// refresh (last stable offsets) the lag equals kadm.Lag, markers included
	mb.paused.Store(true)
	waitFor(t, "consume loop stalled", mb.idle.Load)
	txn(10, kgo.TryCommit)
	clk.Advance(11 * time.Second)
	mb.m.tick(ctx)
	want := kadmLag(t, adm, "g-tx")
	lags := lagsOf(scrape(t, mb.reg), topic, parts)
	if len(lags) != parts || len(want) != parts {
		t.Fatalf("read_committed backlog: lag series %v, kadm.Lag %v: want %d partitions each", lags, want, parts)
	}
	for k, w := range lags {
		if w != want[k] || w != 11 {
			t.Errorf("read_committed backlog: lag %s = %v, kadm.Lag %v, want both 11 (10 records + commit marker)", k, w, want[k])
		}
	}
	mb.paused.Store(false)
	waitFor(t, "50 committed records processed", func() bool { return mb.processed.Load() == 50 })
	waitFor(t, "lag 0 again", func() bool { return allZero(lagsOf(scrape(t, mb.reg), topic, parts), parts) })

	// an open transaction does not count: the last stable offset stays before it
	if err := prod.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for p := range parts {
		if err := prod.ProduceSync(ctx, &kgo.Record{Partition: int32(p), Value: []byte("open")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(11 * time.Second)
	mb.m.tick(ctx) // a refresh (ListCommittedOffsets) must not raise lag past the LSO
	for range 3 {
		if got := lagsOf(scrape(t, mb.reg), topic, parts); !allZero(got, parts) {
			t.Fatalf("lag with an open transaction = %v, want 0 (read_committed)", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := prod.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "committed open transaction processed", func() bool { return mb.processed.Load() == 52 })
	waitFor(t, "lag back to 0", func() bool { return allZero(lagsOf(scrape(t, mb.reg), topic, parts), parts) })
}

// TestRebalanceSecondMember: when a second member joins, the first has no series for
// the partitions it lost at its next scrape and late updates for them are fenced; when
// the second leaves, the partitions come back with correct values.
func TestRebalanceSecondMember(t *testing.T) {
	const topic, parts, group = "rb", 4, "g-rb"
	c := kafkatest.New(t, kafkatest.Topic(topic, parts))
	adm := newAdmin(t, c)
	a := startMember(t, c, group, topic, memberOpts{})
	produce(t, c, topic, 10, parts)
	waitFor(t, "member A caught up on 4 partitions", func() bool {
		return allZero(lagsOf(scrape(t, a.reg), topic, parts), parts)
	})
	before := map[int32]*Slot{}
	for p := range int32(parts) {
		before[p] = a.m.Slot(topic, p)
	}

	b := startMember(t, c, group, topic, memberOpts{})
	waitFor(t, "partitions split 2/2", func() bool { return a.m.Owned() == 2 && b.m.Owned() == 2 })
	sa := scrape(t, a.reg)
	var lost []int32
	for p, old := range before {
		k := fmt.Sprintf("%s/%d", topic, p)
		owned := a.m.Slot(topic, p) != nil
		for _, name := range partitionMetrics {
			_, has := sa[name][k]
			if !owned && has {
				t.Errorf("member A exports %s{%s} for a partition it lost", name, k)
			}
		}
		if _, has := sa["websocket_kafka_lag_watermark_age_seconds"][k]; owned && !has {
			t.Errorf("member A has no watermark age for owned %s", k)
		}
		if !owned {
			lost = append(lost, p)
			old.Processed(1000, time.Now()) // a record that was in flight during the revoke
		}
	}
	if len(lost) != 2 {
		t.Fatalf("member A lost %v, want 2 partitions", lost)
	}
	sa = scrape(t, a.reg)
	if v := sa["websocket_kafka_lag_fenced_updates_total"][""]; v < 2 {
		t.Errorf("fenced updates = %v, want at least 2 (the late records)", v)
	}
	for _, p := range lost {
		if _, has := sa["websocket_kafka_consumer_lag"][fmt.Sprintf("%s/%d", topic, p)]; has {
			t.Errorf("late update re-created the series of lost partition %d", p)
		}
	}
	if sa["websocket_kafka_rebalances_total"]["revoked"] < 1 || sa["websocket_kafka_owned_partitions"][""] != 2 {
		t.Errorf("rebalances %v, owned %v: want a counted revoke and 2 owned", sa["websocket_kafka_rebalances_total"], sa["websocket_kafka_owned_partitions"][""])
	}

	produce(t, c, topic, 5, parts)
	waitFor(t, "both members caught up", func() bool {
		return a.processed.Load()+b.processed.Load() >= 60 &&
			allZero(lagsOf(scrape(t, a.reg), topic, parts), 2) && allZero(lagsOf(scrape(t, b.reg), topic, parts), 2)
	})

	b.leave()
	waitFor(t, "member A owns 4 partitions again", func() bool { return a.m.Owned() == parts })
	produce(t, c, topic, 5, parts)
	waitFor(t, "member A caught up on all 4 again", func() bool {
		return allZero(lagsOf(scrape(t, a.reg), topic, parts), parts) && allZero(kadmLag(t, adm, group), parts)
	})
	sa = scrape(t, a.reg)
	for _, p := range lost {
		k := fmt.Sprintf("%s/%d", topic, p)
		for _, name := range partitionMetrics {
			if _, has := sa[name][k]; !has {
				t.Errorf("returned partition %s has no %s series", k, name)
			}
		}
		if v := sa["websocket_kafka_lag_seconds"][k]; v != 0 {
			t.Errorf("returned partition %s lag seconds %v, want 0", k, v)
		}
	}
}

// TestSlowKafka: with every ListOffsets delayed 2 s by the broker, the consume loop keeps
// processing while a refresh is blocked, refreshes never overlap, and heap stays bounded.
func TestSlowKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("slow Kafka test waits for 2 s broker delays; skipped with -short")
	}
	const topic, parts = "slow", 2
	c := kafkatest.New(t, kafkatest.Topic(topic, parts))
	adm := newAdmin(t, c)
	lister := &countingLister{inner: adm}
	mb := startMember(t, c, "g-slow", topic, memberOpts{
		cfg:    Config{StaleAfter: 20 * time.Millisecond, MinRefreshInterval: 20 * time.Millisecond, TickInterval: 10 * time.Millisecond},
		lister: lister,
	})
	produce(t, c, topic, 10, parts)
	waitFor(t, "warm-up records processed", func() bool { return mb.processed.Load() == 20 })

	c.ControlKey(int16(kmsg.ListOffsets), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		c.SleepControl(func() { time.Sleep(2 * time.Second) })
		return nil, nil, false
	})
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- mb.m.Run(ctx) }()
	defer cancel()
	waitFor(t, "a refresh blocked in the broker", func() bool { return lister.inFlight.Load() > 0 })
	// a scrape does not wait for the blocked refresh and still has every series
	s := scrape(t, mb.reg)
	if got := lagsOf(s, topic, parts); len(got) != parts || s["websocket_kafka_owned_partitions"][""] != parts {
		t.Errorf("scrape during a blocked refresh: lag series %v, owned %v, want %d partitions", got, s["websocket_kafka_owned_partitions"][""], parts)
	}
	if lister.inFlight.Load() == 0 {
		t.Log("the refresh ended before the scrape returned: the non-blocking scrape was not shown this run")
	}

	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	const n = 20000
	produce(t, c, topic, n/parts, parts)
	waitFor(t, "backlog processed", func() bool { return mb.processed.Load() == 20+n })
	runtime.GC()
	runtime.ReadMemStats(&m1)

	if got := mb.duringRefresh.Load(); got == 0 {
		t.Error("no record was processed while a ListOffsets was in flight: the consume loop waits for the refresh")
	}
	if got := lister.maxIn.Load(); got != 1 {
		t.Errorf("up to %d refreshes in flight at once, want 1 (single flight)", got)
	}
	// The broker keeps the 20k records in this process (about 3 MB); the monitor itself
	// must add nothing per record.
	if grow := int64(m1.HeapAlloc) - int64(m0.HeapAlloc); grow > 32<<20 {
		t.Errorf("heap grew by %d MiB while processing %d records during slow refreshes", grow>>20, n)
	}
	cancel()
	if err := <-runDone; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
}

// TestPartitionsLostViaBroker: the broker fences the member (a heartbeat answered with
// ILLEGAL_GENERATION), kgo calls OnPartitionsLost, and the scrape taken inside the
// callback has no partition series; after the member rejoins, the partitions come back.
func TestPartitionsLostViaBroker(t *testing.T) {
	const topic, parts, group = "lost", 3, "g-lost"
	c := kafkatest.New(t, kafkatest.Topic(topic, parts))
	type lostScrape struct {
		lost map[string][]int32
		s    series
	}
	got := make(chan lostScrape, 4)
	var mb *member
	mb = startMember(t, c, group, topic, memberOpts{afterLost: func(l map[string][]int32) {
		got <- lostScrape{l, scrape(t, mb.reg)}
	}})
	produce(t, c, topic, 10, parts)
	waitFor(t, "caught up", func() bool { return allZero(lagsOf(scrape(t, mb.reg), topic, parts), parts) })
	old := mb.m.Slot(topic, 0)

	c.ControlKey(int16(kmsg.Heartbeat), func(req kmsg.Request) (kmsg.Response, error, bool) {
		resp := req.(*kmsg.HeartbeatRequest).ResponseKind().(*kmsg.HeartbeatResponse)
		resp.ErrorCode = kerr.IllegalGeneration.Code
		return resp, nil, true
	})
	var ls lostScrape
	select {
	case ls = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("OnPartitionsLost never called after the fenced heartbeat")
	}
	if n := len(ls.lost[topic]); n != parts {
		t.Fatalf("lost %v, want all %d partitions", ls.lost, parts)
	}
	for _, name := range partitionMetrics {
		if v := ls.s[name]; len(v) != 0 {
			t.Errorf("scrape after OnPartitionsLost has %s series %v, want none", name, v)
		}
	}
	if v := ls.s["websocket_kafka_owned_partitions"][""]; v != 0 {
		t.Errorf("owned partitions after lost = %v, want 0", v)
	}
	if v := ls.s["websocket_kafka_rebalances_total"]["lost"]; v != 1 {
		t.Errorf("rebalances_total{type=lost} = %v, want 1", v)
	}
	old.Processed(999, time.Now())
	if v := scrape(t, mb.reg)["websocket_kafka_lag_fenced_updates_total"][""]; v < 1 {
		t.Errorf("late update after lost: fenced = %v, want >= 1", v)
	}

	waitFor(t, "rejoined with all partitions", func() bool { return mb.m.Owned() == parts })
	produce(t, c, topic, 5, parts)
	waitFor(t, "caught up again", func() bool { return allZero(lagsOf(scrape(t, mb.reg), topic, parts), parts) })
}
