package lagmon

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// failLister fails the test when called.
type failLister struct{ tb testing.TB }

func (f *failLister) ListEndOffsets(context.Context, ...string) (kadm.ListedOffsets, error) {
	f.tb.Error("ListEndOffsets called")
	return nil, nil
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_800_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// countingLister wraps a real lister, counting calls and calls in flight.
type countingLister struct {
	inner    *kadm.Client
	calls    atomic.Int64
	inFlight atomic.Int64
	maxIn    atomic.Int64
}

func (c *countingLister) enter() {
	c.calls.Add(1)
	n := c.inFlight.Add(1)
	for {
		m := c.maxIn.Load()
		if n <= m || c.maxIn.CompareAndSwap(m, n) {
			return
		}
	}
}

func (c *countingLister) ListEndOffsets(ctx context.Context, topics ...string) (kadm.ListedOffsets, error) {
	c.enter()
	defer c.inFlight.Add(-1)
	return c.inner.ListEndOffsets(ctx, topics...)
}

func (c *countingLister) ListCommittedOffsets(ctx context.Context, topics ...string) (kadm.ListedOffsets, error) {
	c.enter()
	defer c.inFlight.Add(-1)
	return c.inner.ListCommittedOffsets(ctx, topics...)
}
