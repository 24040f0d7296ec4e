package lagmon

import (
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// unknown marks an offset that has not been observed yet.
const unknown = -1

// Slot is one owned partition's hot-path state, preallocated at assignment. The consume
// loop writes it with atomic stores only; scrapes and the refresher read it.
type Slot struct {
	m          *Monitor
	topic      string
	partition  int32
	label      string // partition label, formatted once
	epoch      uint64
	assignedAt int64 // unix ns

	live atomic.Bool // false once revoked or lost: updates are fenced

	// written by Processed (the hot path)
	next   atomic.Int64 // next offset to process (last processed + 1)
	lastTS atomic.Int64 // unix ns of the last processed record's timestamp, 0 unknown

	// written by ObserveFetches (consume loop, once per poll) and the refresher
	hw        atomic.Int64
	lso       atomic.Int64
	logStart  atomic.Int64
	endAt     atomic.Int64 // unix ns when hw/lso were observed, 0 never
	delivered atomic.Int64 // offset after the last record handed to the consume loop
	batch     atomic.Pointer[[]*kgo.Record]
	batchGen  uint64 // ObserveFetches call that set batch (consume loop only)

	// written by Committed
	committed atomic.Int64
	commitAt  atomic.Int64

	// progress sampling, guarded by Monitor.sampleMu
	seenPos int64
	seenAt  int64
}

// Processed records that the record at offset (timestamp ts) was fully processed: two
// atomic stores, no allocation, no lock, no I/O. Safe on a nil slot (a partition not
// owned); on a slot whose partition was revoked since the consume loop looked it up, the
// update is dropped and counted in websocket_kafka_lag_fenced_updates_total. Records up
// to offset count as processed: a consume loop may call it after every record, or once
// per partition per poll with the last record it handled (as streamsvc/consume does).
func (s *Slot) Processed(offset int64, ts time.Time) {
	if s == nil {
		return
	}
	if !s.live.Load() {
		s.m.fenced.Inc()
		return
	}
	s.next.Store(offset + 1)
	s.lastTS.Store(ts.UnixNano())
}

// Topic returns the slot's topic.
func (s *Slot) Topic() string { return s.topic }

// Partition returns the slot's partition.
func (s *Slot) Partition() int32 { return s.partition }

// Epoch returns the assignment epoch in which the partition was assigned.
func (s *Slot) Epoch() uint64 { return s.epoch }

// Live reports whether the partition is still owned by the slot's assignment.
func (s *Slot) Live() bool { return s != nil && s.live.Load() }

// ObserveFetches records high watermark, last stable offset and log start offset from
// fetch responses, and remembers each partition's newest batch so that scrapes know the
// timestamp of the next unprocessed record. Call it from the consume loop after every
// PollFetches, before processing. It allocates nothing once its internal list has grown
// to the number of partitions in one poll, and takes no lock.
func (m *Monitor) ObserveFetches(fs kgo.Fetches) {
	a := m.current.Load()
	now := m.now()
	m.observeGen++
	observed := false
	for _, s := range m.batched {
		s.batch.Store(nil) // release the previous poll's records
	}
	clear(m.batched)
	m.batched = m.batched[:0]
	for i := range fs {
		for j := range fs[i].Topics {
			t := &fs[i].Topics[j]
			for k := range t.Partitions {
				p := &t.Partitions[k]
				if p.Err != nil {
					continue
				}
				s := a.slots[tp{t.Topic, p.Partition}]
				if s == nil {
					if len(p.Records) > 0 {
						m.fenced.Inc() // data for a partition we no longer own
					}
					continue
				}
				if p.HighWatermark >= 0 {
					s.hw.Store(p.HighWatermark)
				}
				if p.LastStableOffset >= 0 {
					s.lso.Store(p.LastStableOffset)
				}
				if p.LogStartOffset >= 0 {
					s.logStart.Store(p.LogStartOffset)
				}
				s.endAt.Store(now)
				observed = true
				n := len(p.Records)
				if n == 0 {
					continue
				}
				// A batch starts at the consumer's fetch position. When everything
				// delivered before it was processed, offsets between the two (control
				// records, aborted or compacted records) were skipped, not pending.
				first := p.Records[0].Offset
				if next := s.next.Load(); next == unknown || (next >= s.delivered.Load() && first > next) {
					s.next.CompareAndSwap(next, first)
				}
				s.delivered.Store(p.Records[n-1].Offset + 1)
				if s.batchGen != m.observeGen {
					// The first batch of a partition in one poll is processed first;
					// a second one (two buffered responses) waits for the next poll's
					// lookup, and the fallback covers it meanwhile.
					s.batchGen = m.observeGen
					s.batch.Store(&p.Records)
					m.batched = append(m.batched, s)
				}
			}
		}
	}
	if observed {
		m.lastEnd.Store(now)
	}
}

// Committed records a successful commit of nextOffset for a partition (commit age). A
// commit for a partition not owned is fenced and counted.
func (m *Monitor) Committed(topic string, partition int32, nextOffset int64) {
	s := m.Slot(topic, partition)
	if s == nil || !s.live.Load() {
		m.fenced.Inc()
		return
	}
	s.committed.Store(nextOffset)
	s.commitAt.Store(m.now())
	s.next.CompareAndSwap(unknown, nextOffset)
}
