package lagmon

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/internal/kafkatest"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

// member is a small consume loop wired to a Monitor the way streamsvc/consume wires it:
// rebalance callbacks, ObserveFetches after each poll, Processed per record, Committed
// after each successful commit. The real consumer is tested in its own package.
type member struct {
	cl            *kgo.Client
	m             *Monitor
	reg           *prometheus.Registry
	processed     atomic.Int64
	paused        atomic.Bool  // stalled consumer: the loop stops polling
	idle          atomic.Bool  // the loop has seen paused and stopped
	duringRefresh atomic.Int64 // records processed while a ListOffsets was in flight
	lister        *countingLister
	cancel        context.CancelFunc
	done          chan struct{}
}

type memberOpts struct {
	cfg       Config
	lister    EndOffsetLister
	extra     []kgo.Opt
	keepCtrl  bool // KeepControlRecords: control records are marked processed, not handled
	afterLost func(lost map[string][]int32)
}

func startMember(t *testing.T, c *kafkatest.Cluster, group, topic string, o memberOpts) *member {
	t.Helper()
	mb := &member{reg: prometheus.NewRegistry(), done: make(chan struct{})}
	m, err := New(o.cfg, mb.reg, o.lister)
	if err != nil {
		t.Fatalf("lagmon.New: %v", err)
	}
	mb.m = m
	mb.lister, _ = o.lister.(*countingLister)
	opts := append([]kgo.Opt{
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.HeartbeatInterval(100 * time.Millisecond),
		kgo.FetchMaxWait(200 * time.Millisecond),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) { m.Assigned(a) }),
		kgo.OnPartitionsRevoked(func(ctx context.Context, cl *kgo.Client, r map[string][]int32) {
			mb.commit(ctx, cl)
			m.Revoked(r)
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, l map[string][]int32) {
			m.Lost(l)
			if o.afterLost != nil {
				o.afterLost(l)
			}
		}),
	}, o.extra...)
	if o.keepCtrl {
		opts = append(opts, kgo.KeepControlRecords())
	}
	cl, err := kafkaconf.NewClient(c.Config(t, nil), opts...)
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	mb.cl = cl
	ctx, cancel := context.WithCancel(context.Background())
	mb.cancel = cancel
	go mb.loop(ctx)
	t.Cleanup(mb.stop)
	return mb
}

func (mb *member) loop(ctx context.Context) {
	defer close(mb.done)
	for ctx.Err() == nil {
		if mb.paused.Load() {
			mb.idle.Store(true)
			time.Sleep(5 * time.Millisecond)
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		fs := mb.cl.PollFetches(pctx)
		cancel()
		if fs.IsClientClosed() || ctx.Err() != nil {
			return
		}
		mb.m.ObserveFetches(fs)
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			slot := mb.m.Slot(p.Topic, p.Partition)
			for _, r := range p.Records {
				if !r.Attrs.IsControl() {
					mb.processed.Add(1) // "processing"
					if mb.lister != nil && mb.lister.inFlight.Load() > 0 {
						mb.duringRefresh.Add(1)
					}
				}
				slot.Processed(r.Offset, r.Timestamp)
			}
		})
		mb.commit(ctx, mb.cl)
	}
}

// commit commits what was processed and reports each partition to the monitor.
func (mb *member) commit(ctx context.Context, cl *kgo.Client) {
	offs := cl.UncommittedOffsets()
	if len(offs) == 0 {
		return
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		return
	}
	for topic, ps := range offs {
		for p, eo := range ps {
			mb.m.Committed(topic, p, eo.Offset)
		}
	}
}

func (mb *member) stop() {
	mb.cancel()
	<-mb.done
	mb.cl.Close() // leaves the group
}

// leave stops the loop and leaves the group now (second member leaving).
func (mb *member) leave() { mb.stop() }

func newAdmin(t *testing.T, c *kafkatest.Cluster) *kadm.Client { return newAdminTB(t, c) }

func newAdminTB(tb testing.TB, c *kafkatest.Cluster) *kadm.Client {
	tb.Helper()
	adm, err := kafkaconf.NewAdmin(c.Config(tb, nil))
	if err != nil {
		tb.Fatalf("admin: %v", err)
	}
	tb.Cleanup(adm.Close)
	return adm
}

func produce(t *testing.T, c *kafkatest.Cluster, topic string, perPartition, partitions int) {
	t.Helper()
	cl, err := kafkaconf.NewClient(c.Config(t, nil), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatalf("producer: %v", err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, 0, perPartition*partitions)
	for p := range partitions {
		for i := range perPartition {
			recs = append(recs, &kgo.Record{Partition: int32(p), Value: fmt.Appendf(nil, "v%d", i)})
		}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// waitFor polls cond (no wall-clock assertion: the deadline only bounds a hung test).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kadmLag returns kadm.Lag of group as "topic/partition" -> lag for assigned partitions.
func kadmLag(t *testing.T, adm *kadm.Client, group string) map[string]float64 {
	t.Helper()
	lags, err := adm.Lag(context.Background(), group)
	if err != nil {
		t.Fatalf("kadm.Lag: %v", err)
	}
	out := map[string]float64{}
	gl := lags[group]
	if err := gl.Error(); err != nil {
		t.Fatalf("kadm.Lag(%s): %v", group, err)
	}
	for topic, ps := range gl.Lag {
		for p, l := range ps {
			if l.Err != nil {
				t.Fatalf("kadm.Lag %s/%d: %v", topic, p, l.Err)
			}
			out[fmt.Sprintf("%s/%d", topic, p)] = float64(l.Lag)
		}
	}
	return out
}
