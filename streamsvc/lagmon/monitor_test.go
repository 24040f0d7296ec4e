package lagmon

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// series maps metric name -> "topic/partition" (or "" without labels, or the type label)
// -> value, from one scrape of reg.
type series map[string]map[string]float64

func scrape(tb testing.TB, reg prometheus.Gatherer) series {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatalf("gather: %v", err)
	}
	out := series{}
	for _, mf := range mfs {
		vals := map[string]float64{}
		for _, mt := range mf.GetMetric() {
			vals[labelKey(mt)] = metricValue(mt)
		}
		out[mf.GetName()] = vals
	}
	return out
}

func labelKey(mt *dto.Metric) string {
	var topic, part, other string
	for _, lp := range mt.GetLabel() {
		switch lp.GetName() {
		case "topic":
			topic = lp.GetValue()
		case "partition":
			part = lp.GetValue()
		default:
			other = lp.GetValue()
		}
	}
	if topic != "" {
		return topic + "/" + part
	}
	return other
}

func metricValue(mt *dto.Metric) float64 {
	switch {
	case mt.Gauge != nil:
		return mt.GetGauge().GetValue()
	case mt.Counter != nil:
		return mt.GetCounter().GetValue()
	case mt.Histogram != nil:
		return float64(mt.GetHistogram().GetSampleCount())
	}
	return math.NaN()
}

// partitionMetrics are the per-partition series names.
var partitionMetrics = []string{
	"websocket_kafka_consumer_lag",
	"websocket_kafka_lag_seconds",
	"websocket_kafka_lag_offset_age_seconds",
	"websocket_kafka_lag_watermark_age_seconds",
	"websocket_kafka_lag_commit_age_seconds",
}

// fetch builds a one-partition kgo.Fetches as PollFetches would return it.
func fetch(topic string, partition int32, hw, lso int64, recs ...*kgo.Record) kgo.Fetches {
	for _, r := range recs {
		r.Topic, r.Partition = topic, partition
	}
	return kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: topic, Partitions: []kgo.FetchPartition{{
		Partition: partition, HighWatermark: hw, LastStableOffset: lso, LogStartOffset: 0, Records: recs,
	}}}}}}
}

func rec(offset int64, ts time.Time) *kgo.Record { return &kgo.Record{Offset: offset, Timestamp: ts} }

func TestLagSecondsFromNextUnprocessedRecord(t *testing.T) {
	clk := newFakeClock()
	m, reg := newTestMonitor(t, Config{Now: clk.Now}, nil)
	m.Assigned(map[string][]int32{"t": {3}})
	t0 := clk.Now()
	m.ObserveFetches(fetch("t", 3, 10, 10, rec(4, t0), rec(5, t0.Add(time.Second)), rec(6, t0.Add(2*time.Second))))
	clk.Advance(10 * time.Second)
	s := scrape(t, reg)
	// nothing processed yet: the batch starts at the consumer's position 4
	if got := s["websocket_kafka_consumer_lag"]["t/3"]; got != 6 {
		t.Errorf("lag before processing = %v, want 6 (end 10 - position 4)", got)
	}
	if got := s["websocket_kafka_lag_seconds"]["t/3"]; got != 10 {
		t.Errorf("lag seconds before processing = %v, want 10 (record 4 is 10s old)", got)
	}
	slot := m.Slot("t", 3)
	slot.Processed(4, t0)
	s = scrape(t, reg)
	if got := s["websocket_kafka_lag_seconds"]["t/3"]; got != 9 {
		t.Errorf("lag seconds after record 4 = %v, want 9 (record 5 is next, 9s old)", got)
	}
	slot.Processed(5, t0.Add(time.Second))
	slot.Processed(6, t0.Add(2*time.Second))
	s = scrape(t, reg)
	// batch done, records 7..9 not fetched yet: upper bound from the last processed record
	if got := s["websocket_kafka_lag_seconds"]["t/3"]; got != 8 {
		t.Errorf("lag seconds after the batch = %v, want 8 (last processed record is 8s old)", got)
	}
	if got := s["websocket_kafka_consumer_lag"]["t/3"]; got != 3 {
		t.Errorf("lag after the batch = %v, want 3", got)
	}
	m.ObserveFetches(fetch("t", 3, 10, 10, rec(7, t0.Add(5*time.Second)), rec(8, t0.Add(6*time.Second)), rec(9, t0.Add(7*time.Second))))
	s = scrape(t, reg)
	if got := s["websocket_kafka_lag_seconds"]["t/3"]; got != 5 {
		t.Errorf("lag seconds with the next batch fetched = %v, want 5", got)
	}
	slot.Processed(7, t0)
	slot.Processed(8, t0)
	slot.Processed(9, t0)
	s = scrape(t, reg)
	for _, name := range []string{"websocket_kafka_consumer_lag", "websocket_kafka_lag_seconds", "websocket_kafka_lag_offset_age_seconds"} {
		if got, ok := s[name]["t/3"]; !ok || got != 0 {
			t.Errorf("%s caught up = %v (present %v), want exactly 0", name, got, ok)
		}
	}
}

func TestGapBetweenBatchesIsSkippedNotLag(t *testing.T) {
	// Offsets 3 and 4 are a transaction marker and an aborted record: kgo never hands
	// them over, the next batch starts at 5.
	m, reg := newTestMonitor(t, Config{ReadCommitted: true}, nil)
	m.Assigned(map[string][]int32{"t": {0}})
	now := time.Now()
	m.ObserveFetches(fetch("t", 0, 3, 3, rec(0, now), rec(1, now), rec(2, now)))
	for i := int64(0); i < 3; i++ {
		m.Slot("t", 0).Processed(i, now)
	}
	m.ObserveFetches(fetch("t", 0, 8, 7, rec(5, now), rec(6, now)))
	if got := scrape(t, reg)["websocket_kafka_consumer_lag"]["t/0"]; got != 2 {
		t.Errorf("lag = %v, want 2 (records 5 and 6 below LSO 7; 3 and 4 were skipped)", got)
	}
	m.Slot("t", 0).Processed(5, now)
	m.Slot("t", 0).Processed(6, now)
	if got := scrape(t, reg)["websocket_kafka_consumer_lag"]["t/0"]; got != 0 {
		t.Errorf("lag = %v, want 0 under read_committed (end = LSO 7)", got)
	}
}

func TestRevokeDeletesSeriesAndFencesLateUpdates(t *testing.T) {
	for _, kind := range []string{"revoked", "lost"} {
		t.Run(kind, func(t *testing.T) {
			m, reg := newTestMonitor(t, Config{}, nil)
			m.Assigned(map[string][]int32{"t": {0, 1, 2}})
			now := time.Now()
			for p := int32(0); p < 3; p++ {
				m.ObserveFetches(fetch("t", p, 100, 100, rec(10, now)))
				m.Slot("t", p).Processed(10, now)
			}
			inFlight := m.Slot("t", 1) // held by the consume loop across the revoke
			epoch := m.Epoch()
			if kind == "revoked" {
				m.Revoked(map[string][]int32{"t": {1}})
			} else {
				m.Lost(map[string][]int32{"t": {1}})
			}
			if m.Epoch() != epoch+1 || inFlight.Live() || m.Slot("t", 1) != nil {
				t.Fatalf("after %s: epoch %d->%d, old slot live %v, lookup %v", kind, epoch, m.Epoch(), inFlight.Live(), m.Slot("t", 1))
			}
			inFlight.Processed(11, now)                             // late record
			m.ObserveFetches(fetch("t", 1, 200, 200, rec(12, now))) // late fetch
			m.Committed("t", 1, 12)                                 // late commit
			s := scrape(t, reg)
			for _, name := range partitionMetrics {
				if v, ok := s[name]["t/1"]; ok {
					t.Errorf("%s{partition=1} = %v after %s, want no series", name, v, kind)
				}
				if _, ok := s[name]["t/0"]; !ok {
					t.Errorf("%s{partition=0} missing: owned partitions must keep their series", name)
				}
			}
			if got := s["websocket_kafka_lag_fenced_updates_total"][""]; got != 3 {
				t.Errorf("fenced updates = %v, want 3", got)
			}
			if got := s["websocket_kafka_rebalances_total"][kind]; got != 1 {
				t.Errorf("rebalances_total{type=%s} = %v, want 1", kind, got)
			}
			if got := s["websocket_kafka_owned_partitions"][""]; got != 2 {
				t.Errorf("owned partitions = %v, want 2", got)
			}
			// re-assigned: a fresh slot, the old one stays fenced
			m.Assigned(map[string][]int32{"t": {1}})
			inFlight.Processed(13, now)
			if m.Slot("t", 1) == inFlight {
				t.Fatal("re-assignment reused the revoked slot")
			}
			if got := testutil.ToFloat64(m.fenced); got != 4 {
				t.Errorf("fenced after re-assignment = %v, want 4", got)
			}
			if _, ok := scrape(t, reg)["websocket_kafka_consumer_lag"]["t/1"]; ok {
				t.Error("re-assigned partition exports lag before any position is known")
			}
		})
	}
}

func TestEmptyRebalanceCallbacksAreNoOps(t *testing.T) {
	m, reg := newTestMonitor(t, Config{}, nil)
	m.Assigned(map[string][]int32{})
	m.Revoked(nil)
	m.Lost(map[string][]int32{"t": {}})
	s := scrape(t, reg)
	for _, k := range []string{"assigned", "revoked", "lost"} {
		if v := s["websocket_kafka_rebalances_total"][k]; v != 0 {
			t.Errorf("rebalances_total{type=%s} = %v after empty callbacks, want 0", k, v)
		}
	}
	if m.Epoch() != 0 {
		t.Errorf("epoch = %d, want 0", m.Epoch())
	}
}

// staticLister answers ListEndOffsets from a fixed table.
type staticLister struct {
	offsets map[string]map[int32]int64
	err     error
	calls   int
}

func (l *staticLister) ListEndOffsets(_ context.Context, topics ...string) (kadm.ListedOffsets, error) {
	l.calls++
	out := kadm.ListedOffsets{}
	for _, t := range topics {
		for p, o := range l.offsets[t] {
			if out[t] == nil {
				out[t] = map[int32]kadm.ListedOffset{}
			}
			out[t][p] = kadm.ListedOffset{Topic: t, Partition: p, Offset: o}
		}
	}
	return out, l.err
}

func TestIdleTopicForAMonth(t *testing.T) {
	clk := newFakeClock()
	lister := &staticLister{offsets: map[string]map[int32]int64{"idle": {0: 50}}}
	m, reg := newTestMonitor(t, Config{Now: clk.Now, StaleAfter: 10 * time.Second, MinRefreshInterval: 5 * time.Second}, lister)
	m.Assigned(map[string][]int32{"idle": {0}})
	m.ObserveFetches(fetch("idle", 0, 50, 50, rec(49, clk.Now())))
	m.Slot("idle", 0).Processed(49, clk.Now())
	m.Committed("idle", 0, 50)
	ctx := context.Background()
	for range 30 * 24 {
		clk.Advance(time.Hour)
		m.tick(ctx)
		s := scrape(t, reg)
		for _, name := range partitionMetrics {
			v, ok := s[name]["idle/0"]
			if !ok || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				t.Fatalf("%s = %v (present %v) on an idle topic, want a finite non-negative value", name, v, ok)
			}
		}
		for _, name := range []string{"websocket_kafka_consumer_lag", "websocket_kafka_lag_seconds", "websocket_kafka_lag_offset_age_seconds"} {
			if v := s[name]["idle/0"]; v != 0 {
				t.Fatalf("%s = %v on a caught-up idle topic, want 0", name, v)
			}
		}
		if v := s["websocket_kafka_lag_watermark_age_seconds"]["idle/0"]; v != 0 {
			t.Fatalf("watermark age = %v right after a refresh, want 0", v)
		}
		if v := s["websocket_kafka_last_poll_timestamp_seconds"][""]; v != float64(clk.Now().Unix()) {
			t.Fatalf("last poll timestamp = %v, want the refresh just done (%d)", v, clk.Now().Unix())
		}
	}
	if lister.calls != 30*24 {
		t.Errorf("refreshes = %d, want one per stale tick (%d)", lister.calls, 30*24)
	}
	if v := scrape(t, reg)["websocket_kafka_lag_commit_age_seconds"]["idle/0"]; v != float64(30*24*3600) {
		t.Errorf("commit age = %v, want %v", v, 30*24*3600)
	}
}

func TestRefreshRateLimitAndFailures(t *testing.T) {
	clk := newFakeClock()
	lister := &staticLister{offsets: map[string]map[int32]int64{"t": {0: 100, 1: 100}}}
	m, reg := newTestMonitor(t, Config{Now: clk.Now, StaleAfter: 10 * time.Second, MinRefreshInterval: 5 * time.Second}, lister)
	m.Assigned(map[string][]int32{"t": {0, 1}})
	ctx := context.Background()
	m.tick(ctx) // no watermark yet: refresh at once
	if lister.calls != 1 {
		t.Fatalf("calls = %d, want 1: a partition without any watermark is stale", lister.calls)
	}
	for range 100 { // one second steps for 100 s
		clk.Advance(time.Second)
		m.ObserveFetches(fetch("t", 0, 100, 100)) // partition 0 keeps getting fetch responses
		m.tick(ctx)
	}
	// partition 1 is stale 10 s after each refresh; the refresh itself is allowed then
	if lister.calls < 9 || lister.calls > 11 {
		t.Errorf("calls over 100 s = %d, want about 100/(10 s stale) = 10", lister.calls)
	}
	lister.err = errors.New("broker down")
	before := lister.calls
	clk.Advance(time.Minute)
	m.tick(ctx)
	m.tick(ctx) // rate-limited: no second call at the same instant
	if lister.calls != before+1 {
		t.Errorf("calls = %d, want %d", lister.calls, before+1)
	}
	s := scrape(t, reg)
	if v := s["websocket_kafka_lag_poll_failures_total"][""]; v != 1 {
		t.Errorf("poll failures = %v, want 1", v)
	}
	if v := s["websocket_kafka_lag_poll_duration_seconds"][""]; v != float64(lister.calls) {
		t.Errorf("poll duration observations = %v, want %d", v, lister.calls)
	}
	// the last end offsets came from partition 0's fetch responses, a minute ago
	lastOK := clk.Now().Add(-time.Minute)
	if v := s["websocket_kafka_last_poll_timestamp_seconds"][""]; v > float64(lastOK.Unix()) || v < float64(lastOK.Add(-11*time.Second).Unix()) {
		t.Errorf("last poll timestamp = %v, want the last end offsets obtained, in [%d, %d]", v, lastOK.Add(-11*time.Second).Unix(), lastOK.Unix())
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg    Config
		lister EndOffsetLister
		want   string
	}{
		{Config{StaleAfter: -time.Second}, nil, "StaleAfter=-1s"},
		{Config{RefreshTimeout: -1}, nil, "RefreshTimeout=-1ns"},
		{Config{ReadCommitted: true}, &staticLister{}, "ListCommittedOffsets"},
	} {
		_, err := New(tc.cfg, prometheus.NewRegistry(), tc.lister)
		if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) error = %v, want ErrConfig mentioning %q", tc.cfg, err, tc.want)
		}
	}
	var typedNil *kadm.Client
	m, err := New(Config{}, prometheus.NewRegistry(), typedNil)
	if err != nil || m.lister != nil {
		t.Errorf("New with a typed nil *kadm.Client: err %v, lister %v; want no error and no lister", err, m.lister)
	}
	m.Assigned(map[string][]int32{"t": {0}})
	m.tick(context.Background()) // a stale partition, and still no call through the nil client
	reg := prometheus.NewRegistry()
	if _, err := New(Config{}, reg, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{}, reg, nil); err == nil {
		t.Error("registering twice on one registry succeeded, want a duplicate-registration error")
	}
}

func TestRunStopsWithContext(t *testing.T) {
	m, _ := newTestMonitor(t, Config{TickInterval: time.Millisecond}, &staticLister{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	for !m.running.Load() {
		time.Sleep(time.Millisecond)
	}
	if err := m.Run(ctx); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run = %v, want ErrRunning", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v after cancel, want nil", err)
	}
}

// blockingLister blocks each call until release is closed, then answers from offsets.
type blockingLister struct {
	started chan struct{}
	release chan struct{}
	offsets map[int32]int64
}

func (l *blockingLister) ListEndOffsets(ctx context.Context, topics ...string) (kadm.ListedOffsets, error) {
	close(l.started)
	select {
	case <-l.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	out := kadm.ListedOffsets{"t": {}}
	for p, o := range l.offsets {
		out["t"][p] = kadm.ListedOffset{Topic: "t", Partition: p, Offset: o}
	}
	return out, nil
}

func TestRefreshResultForRevokedPartitionIsFenced(t *testing.T) {
	lister := &blockingLister{started: make(chan struct{}), release: make(chan struct{}), offsets: map[int32]int64{0: 100, 1: 100, 7: 100}}
	m, reg := newTestMonitor(t, Config{}, lister)
	m.Assigned(map[string][]int32{"t": {0, 1}})
	now := time.Now()
	for p := int32(0); p < 2; p++ {
		m.ObserveFetches(fetch("t", p, 0, 0)) // hw 0: not fetched since
		m.Committed("t", p, 0)
	}
	m.cfg.Now = func() time.Time { return now.Add(time.Hour) } // everything stale
	done := make(chan struct{})
	go func() { m.tick(context.Background()); close(done) }()
	<-lister.started
	m.Revoked(map[string][]int32{"t": {1}}) // revoke while ListOffsets is in flight
	close(lister.release)
	<-done
	s := scrape(t, reg)
	if got := s["websocket_kafka_consumer_lag"]; len(got) != 1 || got["t/0"] != 100 {
		t.Errorf("lag series = %v, want only t/0 = 100", got)
	}
	if got := s["websocket_kafka_lag_fenced_updates_total"][""]; got != 1 {
		t.Errorf("fenced = %v, want 1 (the revoked partition's end offset; partition 7 was never owned)", got)
	}
}

func TestScrapeMakesNoKafkaRequest(t *testing.T) {
	lister := &failLister{tb: t}
	m, reg := newTestMonitor(t, Config{StaleAfter: time.Nanosecond}, lister)
	assignN(m, "big", 10000)
	for range 3 {
		if got := scrape(t, reg)["websocket_kafka_owned_partitions"][""]; got != 10000 {
			t.Fatalf("owned partitions = %v, want 10000", got)
		}
	}
	// every partition is stale (no watermark) and still no request: only Run refreshes
	if v := scrape(t, reg)["websocket_kafka_lag_watermark_age_seconds"]; len(v) != 10000 {
		t.Errorf("%d watermark-age series, want 10000", len(v))
	}
}

func TestExposition(t *testing.T) {
	m, reg := newTestMonitor(t, Config{}, nil)
	m.Assigned(map[string][]int32{"b": {10, 2}, "a": {0}})
	now := time.Now()
	m.ObserveFetches(fetch("b", 2, 7, 7, rec(3, now)))
	m.Slot("b", 2).Processed(3, now)
	m.ObserveFetches(fetch("a", 0, 1, 1, rec(0, now)))
	m.Slot("a", 0).Processed(0, now)
	want := `# HELP websocket_kafka_consumer_lag Records between the next record to process and the end offset (high watermark; last stable offset under read_committed), clamped at 0.
# TYPE websocket_kafka_consumer_lag gauge
websocket_kafka_consumer_lag{partition="0",topic="a"} 0
websocket_kafka_consumer_lag{partition="2",topic="b"} 3
# HELP websocket_kafka_owned_partitions Partitions currently assigned to this member.
# TYPE websocket_kafka_owned_partitions gauge
websocket_kafka_owned_partitions 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "websocket_kafka_consumer_lag", "websocket_kafka_owned_partitions"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "websocket_kafka_lag_watermark_age_seconds"); err != nil || n != 3 {
		t.Errorf("watermark age series = %d (%v), want 3 (one per owned partition)", n, err)
	}
}

func TestSecondBatchInOnePollKeepsTheFirst(t *testing.T) {
	clk := newFakeClock()
	m, reg := newTestMonitor(t, Config{Now: clk.Now}, nil)
	m.Assigned(map[string][]int32{"t": {0}})
	t0 := clk.Now()
	fs := append(fetch("t", 0, 10, 10, rec(0, t0), rec(1, t0.Add(time.Second))),
		fetch("t", 0, 10, 10, rec(2, t0.Add(5*time.Second)), rec(3, t0.Add(6*time.Second)))...)
	m.ObserveFetches(fs)
	clk.Advance(10 * time.Second)
	m.Slot("t", 0).Processed(0, t0)
	if got := scrape(t, reg)["websocket_kafka_lag_seconds"]["t/0"]; got != 9 {
		t.Errorf("lag seconds = %v, want 9 (record 1 of the first batch is next)", got)
	}
}
