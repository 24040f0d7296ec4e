// Package lagmon is streamsvc's consumer-lag monitor: bounded, off the hot path,
// assignment-aware and honest about staleness (the audit's P0, section 3.1).
//
// API contract used by streamsvc/consume (implemented by the lagmon work):
//
//	m, _ := lagmon.New(lagmon.Config{...}, registry, admin)   // admin: *kadm.Client (EndOffsetLister)
//	go m.Run(ctx)                                             // the single background refresher
//	kgo.OnPartitionsAssigned(... m.Assigned(assigned) ...)   // create slots
//	kgo.OnPartitionsRevoked(... m.Revoked(revoked) ...)      // delete slots + exact series
//	kgo.OnPartitionsLost(... m.Lost(lost) ...)
//	fs := cl.PollFetches(ctx); m.ObserveFetches(fs)           // HW / LSO / log start, atomics only
//	fs.EachPartition(func(p kgo.FetchTopicPartition) {
//	    slot := m.Slot(p.Topic, p.Partition)                  // nil if not owned; lock-free read
//	    for _, r := range p.Records { ...process...; slot.Processed(r.Offset, r.Timestamp) } // atomics, 0 allocs, nil-safe
//	})
//	m.Committed(topic, partition, nextOffset)                 // after a successful commit (commit age)
package lagmon

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// EndOffsetLister is the one Kafka call the monitor makes (satisfied by *kadm.Client).
type EndOffsetLister interface {
	ListEndOffsets(ctx context.Context, topics ...string) (kadm.ListedOffsets, error)
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
}

// Monitor tracks lag for the partitions this member owns.
type Monitor struct{}

// New builds a monitor registering its metrics on reg.
func New(cfg Config, reg prometheus.Registerer, lister EndOffsetLister) (*Monitor, error) {
	return &Monitor{}, nil
}

// Run refreshes stale end offsets until ctx is done.
func (m *Monitor) Run(ctx context.Context) error { <-ctx.Done(); return nil }

// Assigned creates slots for newly owned partitions.
func (m *Monitor) Assigned(assigned map[string][]int32) {}

// Revoked deletes slots and series of partitions no longer owned.
func (m *Monitor) Revoked(revoked map[string][]int32) {}

// Lost is Revoked for partitions lost without a clean revoke.
func (m *Monitor) Lost(lost map[string][]int32) {}

// ObserveFetches records high watermark, last stable offset and log start offset from
// fetch responses.
func (m *Monitor) ObserveFetches(fs kgo.Fetches) {}

// Committed records a successful commit of nextOffset for a partition.
func (m *Monitor) Committed(topic string, partition int32, nextOffset int64) {}

// Slot returns the owned partition's slot, or nil.
func (m *Monitor) Slot(topic string, partition int32) *Slot { return nil }

// Slot is one owned partition's hot-path state.
type Slot struct{}

// Processed records that the record at offset (timestamp ts) was fully processed.
// Safe on a nil slot.
func (s *Slot) Processed(offset int64, ts time.Time) {}
