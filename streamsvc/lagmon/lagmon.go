// Package lagmon is streamsvc's consumer-lag monitor: bounded, off the hot path,
// assignment-aware and honest about staleness (the audit's P0, section 3.1).
//
// API contract used by streamsvc/consume:
//
//	m, _ := lagmon.New(lagmon.Config{...}, registry, admin)   // admin: *kadm.Client (EndOffsetLister)
//	go m.Run(ctx)                                             // the single background refresher
//	kgo.OnPartitionsAssigned(... m.Assigned(assigned) ...)   // create slots
//	kgo.OnPartitionsRevoked(... m.Revoked(revoked) ...)      // delete slots + exact series
//	kgo.OnPartitionsLost(... m.Lost(lost) ...)
//	fs := cl.PollFetches(ctx); m.ObserveFetches(fs)           // HW / LSO / log start, atomics only
//	fs.EachPartition(func(p kgo.FetchTopicPartition) {
//	    for _, r := range p.Records { ...process... }
//	    if n := len(p.Records); n > 0 {                       // once per partition per poll, or per record
//	        slot := m.Slot(p.Topic, p.Partition)              // nil if not owned; lock-free read
//	        slot.Processed(p.Records[n-1].Offset, p.Records[n-1].Timestamp) // atomics, 0 allocs, nil-safe
//	    }
//	})
//	m.Committed(topic, partition, nextOffset)                 // after a successful commit (commit age)
//
// ObserveFetches must be called from the consume loop after each PollFetches and before
// the records are processed, and records must not be recycled (kgo.WithPools) while
// they are the newest fetched batch of their partition: scrapes read their timestamps.
// Under read_committed, a consumer that wants lag exactly 0 after a partition's last
// transaction sets kgo.KeepControlRecords and calls Processed for control records
// without processing them (otherwise the final commit marker counts as one record, as
// in kadm.Lag). docs/LAGMON.md describes the design and every metric.
package lagmon

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
)

// EndOffsetLister is the one Kafka call the monitor makes (satisfied by *kadm.Client).
type EndOffsetLister interface {
	ListEndOffsets(ctx context.Context, topics ...string) (kadm.ListedOffsets, error)
}

// StableOffsetLister lists last stable offsets (read_committed end offsets). *kadm.Client
// satisfies it with ListCommittedOffsets; with Config.ReadCommitted the lister given to New
// must implement it.
type StableOffsetLister interface {
	ListCommittedOffsets(ctx context.Context, topics ...string) (kadm.ListedOffsets, error)
}

// Config tunes the monitor; zero values take the documented defaults.
type Config struct {
	// StaleAfter: an owned partition whose watermark (from fetch responses) is older than
	// this is refreshed with ListEndOffsets. Default 10s.
	StaleAfter time.Duration
	// MinRefreshInterval rate-limits ListEndOffsets calls. Default 5s.
	MinRefreshInterval time.Duration
	// RefreshTimeout is the deadline of one ListEndOffsets call. Default 5s.
	RefreshTimeout time.Duration
	// ReadCommitted makes lag use the last stable offset instead of the high watermark.
	ReadCommitted bool
	// Now is the clock (tests). Default time.Now.
	Now func() time.Time
	// TickInterval is how often Run samples progress and looks for stale watermarks.
	// Default: a quarter of min(StaleAfter, MinRefreshInterval), at least 10ms.
	TickInterval time.Duration
}

// Defaults of Config.
const (
	DefaultStaleAfter         = 10 * time.Second
	DefaultMinRefreshInterval = 5 * time.Second
	DefaultRefreshTimeout     = 5 * time.Second
)

// ErrConfig is wrapped by every configuration error of New.
var ErrConfig = errors.New("lagmon config")

func (c Config) withDefaults() (Config, error) {
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"StaleAfter", &c.StaleAfter, DefaultStaleAfter},
		{"MinRefreshInterval", &c.MinRefreshInterval, DefaultMinRefreshInterval},
		{"RefreshTimeout", &c.RefreshTimeout, DefaultRefreshTimeout},
		{"TickInterval", &c.TickInterval, 0},
	} {
		if *d.v < 0 {
			return c, fmt.Errorf("%w: %s=%v: want a positive duration (0 for the default)", ErrConfig, d.name, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if c.TickInterval == 0 {
		c.TickInterval = min(c.StaleAfter, c.MinRefreshInterval) / 4
		c.TickInterval = max(c.TickInterval, 10*time.Millisecond)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// tp names one partition.
type tp struct {
	topic     string
	partition int32
}

// assignment is an immutable snapshot of the owned partitions; it is replaced, never
// modified, so the consume loop and scrapes read it without locks.
type assignment struct {
	epoch uint64
	slots map[tp]*Slot
	order []*Slot // sorted by topic, partition: deterministic scrape order
}

// Monitor tracks lag for the partitions this member owns.
type Monitor struct {
	cfg     Config
	lister  EndOffsetLister
	stable  StableOffsetLister
	current atomic.Pointer[assignment]

	mu sync.Mutex // serialises Assigned/Revoked/Lost (writers of current)

	fenced     prometheus.Counter
	rebalances *prometheus.CounterVec
	pollFail   prometheus.Counter
	pollDur    prometheus.Histogram
	lastEnd    atomic.Int64 // unix ns when end offsets were last obtained (fetch or refresh)

	// consume-loop-only state (ObserveFetches)
	batched    []*Slot
	observeGen uint64

	// refresher state (Run goroutine only)
	lastRefresh time.Time
	refreshes   atomic.Int64 // ListEndOffsets calls started (tests and docs)
	running     atomic.Bool

	sampleMu sync.Mutex  // progress sampling shared by scrapes and Run
	scrape   scrapeCache // scrape order of the current assignment (under sampleMu)
	direct   atomic.Bool // per-partition gauges served by an Exposition, not the collector
}

// New builds a monitor registering its metrics on reg. lister may be nil: then stale
// watermarks are reported (watermark age) but never refreshed.
func New(cfg Config, reg prometheus.Registerer, lister EndOffsetLister) (*Monitor, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if reg == nil {
		return nil, fmt.Errorf("%w: nil prometheus.Registerer", ErrConfig)
	}
	if v := reflect.ValueOf(lister); lister != nil && v.Kind() == reflect.Pointer && v.IsNil() {
		lister = nil // a typed nil (*kadm.Client)(nil) means "no lister", not a later panic
	}
	m := &Monitor{cfg: cfg, lister: lister}
	if cfg.ReadCommitted && lister != nil {
		s, ok := lister.(StableOffsetLister)
		if !ok {
			return nil, fmt.Errorf("%w: ReadCommitted needs a lister with ListCommittedOffsets (last stable offsets), %T has none", ErrConfig, lister)
		}
		m.stable = s
	}
	m.current.Store(&assignment{slots: map[tp]*Slot{}})
	m.fenced = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "websocket_kafka_lag_fenced_updates_total",
		Help: "Lag updates dropped because their partition was no longer owned (late records, fetches or refreshes after a revoke).",
	})
	m.rebalances = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "websocket_kafka_rebalances_total",
		Help: "Non-empty partition assignment changes seen by this member, by type (assigned, revoked, lost).",
	}, []string{"type"})
	for _, t := range []string{"assigned", "revoked", "lost"} {
		m.rebalances.WithLabelValues(t)
	}
	m.pollFail = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "websocket_kafka_lag_poll_failures_total",
		Help: "Fallback end-offset refreshes (ListOffsets) that failed or timed out.",
	})
	m.pollDur = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "websocket_kafka_lag_poll_duration_seconds",
		Help:    "Duration of fallback end-offset refreshes (ListOffsets), including failures.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	})
	for _, c := range []prometheus.Collector{m.fenced, m.rebalances, m.pollFail, m.pollDur, (*collector)(m)} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("lagmon: register metrics: %w", err)
		}
	}
	return m, nil
}

// Assigned creates slots for newly owned partitions. Partitions already owned keep their
// slot. Safe to call from kgo's OnPartitionsAssigned with an empty map (a no-op).
func (m *Monitor) Assigned(assigned map[string][]int32) {
	m.change(assigned, "assigned")
}

// Revoked deletes slots and series of partitions no longer owned: the next scrape has no
// series for them, and updates still arriving for them are fenced and counted.
func (m *Monitor) Revoked(revoked map[string][]int32) { m.change(revoked, "revoked") }

// Lost is Revoked for partitions lost without a clean revoke.
func (m *Monitor) Lost(lost map[string][]int32) { m.change(lost, "lost") }

func (m *Monitor) change(parts map[string][]int32, kind string) {
	n := 0
	for _, ps := range parts {
		n += len(ps)
	}
	if n == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.current.Load()
	next := &assignment{epoch: old.epoch + 1, slots: make(map[tp]*Slot, len(old.slots)+n)}
	for k, s := range old.slots {
		next.slots[k] = s
	}
	now := m.cfg.Now().UnixNano()
	for topic, ps := range parts {
		for _, p := range ps {
			k := tp{topic, p}
			if kind == "assigned" {
				if _, ok := next.slots[k]; !ok {
					next.slots[k] = newSlot(m, k, next.epoch, now)
				}
				continue
			}
			if s, ok := next.slots[k]; ok {
				s.live.Store(false)
				delete(next.slots, k)
			}
		}
	}
	next.order = make([]*Slot, 0, len(next.slots))
	for _, s := range next.slots {
		next.order = append(next.order, s)
	}
	sort.Slice(next.order, func(i, j int) bool {
		a, b := next.order[i], next.order[j]
		if a.topic != b.topic {
			return a.topic < b.topic
		}
		return a.partition < b.partition
	})
	m.current.Store(next)
	m.rebalances.WithLabelValues(kind).Inc()
}

// Slot returns the owned partition's slot, or nil. It is lock-free and allocation-free.
func (m *Monitor) Slot(topic string, partition int32) *Slot {
	return m.current.Load().slots[tp{topic, partition}]
}

// Owned returns the number of partitions currently owned.
func (m *Monitor) Owned() int { return len(m.current.Load().order) }

// Epoch returns the assignment epoch: it grows by one with every non-empty assignment
// change. A slot belongs to the epoch in which its partition was assigned.
func (m *Monitor) Epoch() uint64 { return m.current.Load().epoch }

func (m *Monitor) now() int64 { return m.cfg.Now().UnixNano() }

func newSlot(m *Monitor, k tp, epoch uint64, now int64) *Slot {
	s := &Slot{m: m, topic: k.topic, partition: k.partition, label: strconv.FormatInt(int64(k.partition), 10), epoch: epoch, assignedAt: now}
	s.live.Store(true)
	for _, v := range []*atomic.Int64{&s.next, &s.hw, &s.lso, &s.logStart, &s.delivered, &s.committed} {
		v.Store(unknown)
	}
	s.seenPos = unknown
	s.seenAt = now
	return s
}
