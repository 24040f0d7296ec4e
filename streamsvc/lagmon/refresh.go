package lagmon

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// ErrRunning is returned by Run when another Run of the same monitor is active.
var ErrRunning = errors.New("lagmon: Run already active")

// Run is the monitor's single background goroutine: every TickInterval it samples
// progress and, at most once per MinRefreshInterval, refreshes with one ListEndOffsets
// call (deadline RefreshTimeout) the end offsets of the topics that have an owned
// partition whose watermark is older than StaleAfter. Calls never overlap (single
// flight). It returns nil when ctx is done.
func (m *Monitor) Run(ctx context.Context) error {
	if !m.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer m.running.Store(false)
	t := time.NewTicker(m.cfg.TickInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			m.tick(ctx)
		}
	}
}

// Refreshes returns how many fallback end-offset refreshes have been started.
func (m *Monitor) Refreshes() int64 { return m.refreshes.Load() }

// tick is one iteration of Run.
func (m *Monitor) tick(ctx context.Context) {
	now := m.cfg.Now()
	a := m.current.Load()
	m.sample(a, now.UnixNano())
	if m.lister == nil {
		return
	}
	if !m.lastRefresh.IsZero() && now.Sub(m.lastRefresh) < m.cfg.MinRefreshInterval {
		return
	}
	var topics []string
	limit := now.Add(-m.cfg.StaleAfter).UnixNano()
	for _, s := range a.order {
		if len(topics) > 0 && topics[len(topics)-1] == s.topic {
			continue // order is sorted by topic; this topic is already listed
		}
		if at := s.endAt.Load(); at == 0 || at < limit {
			topics = append(topics, s.topic)
		}
	}
	if len(topics) == 0 {
		return
	}
	m.refresh(ctx, topics, a, now)
}

// refresh runs one ListEndOffsets (or ListCommittedOffsets under read_committed) for the
// topics of stale partitions and stores the results into every slot of those topics
// still owned afterwards; asked is the assignment the request was built from.
func (m *Monitor) refresh(ctx context.Context, topics []string, asked *assignment, now time.Time) {
	m.lastRefresh = now
	m.refreshes.Add(1)
	cctx, cancel := context.WithTimeout(ctx, m.cfg.RefreshTimeout)
	start := time.Now()
	var listed kadm.ListedOffsets
	var err error
	if m.stable != nil {
		listed, err = m.stable.ListCommittedOffsets(cctx, topics...)
	} else {
		listed, err = m.lister.ListEndOffsets(cctx, topics...)
	}
	cancel()
	m.pollDur.Observe(time.Since(start).Seconds())
	if ctx.Err() != nil {
		return // shutting down: neither a failure nor a result
	}
	failed := err != nil
	a := m.current.Load()
	at := now.UnixNano()
	for topic, ps := range listed {
		if !slices.Contains(topics, topic) {
			continue
		}
		for p, lo := range ps {
			k := tp{topic, p}
			if lo.Err != nil || lo.Offset < 0 {
				if asked.slots[k] != nil {
					failed = true
				}
				continue
			}
			s := a.slots[k]
			if s == nil {
				if asked.slots[k] != nil {
					m.fenced.Inc() // revoked while the request was in flight
				}
				continue
			}
			if m.stable != nil {
				storeMax(&s.lso, lo.Offset)
			} else {
				storeMax(&s.hw, lo.Offset)
			}
			storeMax(&s.endAt, at)
		}
	}
	if failed {
		m.pollFail.Inc()
		return
	}
	storeMax(&m.lastEnd, at)
}

// storeMax raises v to x unless it is already at least x (a fresher fetch response may
// have stored a newer value while the refresh was in flight).
func storeMax(v *atomic.Int64, x int64) {
	for {
		cur := v.Load()
		if cur >= x || v.CompareAndSwap(cur, x) {
			return
		}
	}
}
