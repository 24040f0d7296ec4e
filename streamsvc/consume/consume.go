// Package consume is streamsvc's consumer-group loop: poll, decode and fan out each
// record, send undecodable ones to the DLQ, and commit, for every partition, the offset
// after the last record that was fully handled (at-least-once). In fail-closed DLQ mode
// a partition's committed offset never passes a record whose DLQ write has not been
// acknowledged. The loop does no I/O besides polling and committing: DLQ writes and
// WebSocket writes are asynchronous and bounded.
package consume

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamaudit/streamaudit/streamsvc/dlq"
	"github.com/streamaudit/streamaudit/streamsvc/envelope"
	"github.com/streamaudit/streamaudit/streamsvc/exporter"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
	"github.com/streamaudit/streamaudit/streamsvc/lagmon"
)

// Publisher receives every decoded record (the WebSocket hub). Publish must not block.
type Publisher interface {
	Publish(thread string, msg []byte)
}

// Config tunes the loop; zero values take the defaults.
type Config struct {
	// CommitInterval is the longest time processed offsets stay uncommitted. The loop
	// wakes at least this often even without records. Default 1s.
	CommitInterval time.Duration
	// MaxPendingDLQ is how many records of one partition may wait for their DLQ write
	// (fail-closed) before the partition is paused. Default 1000.
	MaxPendingDLQ int
	// Logger receives rare events (rebalances, commit errors, blocked partitions).
	Logger *slog.Logger
}

// Deps are the collaborators of the loop.
type Deps struct {
	Metrics *exporter.Metrics
	Ready   *exporter.Readiness
	Hub     Publisher
	Lag     *lagmon.Monitor
	DLQ     *dlq.Writer
}

// Readiness conditions set by the loop.
const (
	CondKafka = "kafka"
	CondDLQ   = "dlq"
)

type tp struct {
	topic     string
	partition int32
}

type partState struct {
	tp
	next      int64   // offset after the last handled record; -1 before the first
	epoch     int32   // leader epoch of that record
	committed int64   // last committed offset; -1 unknown
	pending   []int64 // offsets whose fail-closed DLQ write is in flight, ascending
	blocked   int     // pending records that exhausted their bounded retries
	paused    bool
	ctx       context.Context
	cancel    context.CancelFunc
	slot      *lagmon.Slot
}

// commitOffset is the offset safe to commit: never past a pending DLQ record.
func (p *partState) commitOffset() int64 {
	if len(p.pending) > 0 {
		return p.pending[0]
	}
	return p.next
}

// Consumer is one member of the KAFKA_GROUP_ID group.
type Consumer struct {
	cfg Config
	kc  *kafkaconf.Config
	d   Deps
	cl  *kgo.Client
	log *slog.Logger

	mu           sync.Mutex
	parts        map[tp]*partState
	blockedParts int
	lastSeq      map[string]uint64
	lastCommit   time.Time
	invalid      []invalidRec
}

type invalidRec struct {
	ps  *partState
	r   *kgo.Record
	err error
}

const maxTrackedThreads = 1 << 16

// New builds the consumer client through kafkaconf.NewClient. extra options are appended
// (tests: shorter timeouts).
func New(kc *kafkaconf.Config, cfg Config, d Deps, extra ...kgo.Opt) (*Consumer, error) {
	if cfg.CommitInterval <= 0 {
		cfg.CommitInterval = time.Second
	}
	if cfg.MaxPendingDLQ <= 0 {
		cfg.MaxPendingDLQ = 1000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Consumer{cfg: cfg, kc: kc, d: d, log: cfg.Logger, parts: map[tp]*partState{}, lastSeq: map[string]uint64{}}
	opts := []kgo.Opt{
		kgo.ConsumerGroup(kc.GroupID),
		kgo.ConsumeTopics(kc.Topic),
		kgo.ConsumeResetOffset(kc.ResetOffset()),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(c.onAssigned),
		kgo.OnPartitionsRevoked(c.onRevoked),
		kgo.OnPartitionsLost(c.onLost),
	}
	if d.Metrics != nil && d.Metrics.Kprom != nil {
		opts = append(opts, kgo.WithHooks(d.Metrics.Kprom))
	}
	cl, err := kafkaconf.NewClient(kc, append(opts, extra...)...)
	if err != nil {
		return nil, err
	}
	c.cl = cl
	if d.Ready != nil {
		d.Ready.Block(CondKafka, "consumer has not polled yet")
	}
	return c, nil
}

// Client returns the underlying client (for tests and the lag monitor's admin).
func (c *Consumer) Client() *kgo.Client { return c.cl }

func (c *Consumer) onAssigned(ctx context.Context, _ *kgo.Client, assigned map[string][]int32) {
	if len(assigned) == 0 {
		return
	}
	c.d.Lag.Assigned(assigned)
	c.mu.Lock()
	defer c.mu.Unlock()
	for t, ps := range assigned {
		for _, p := range ps {
			k := tp{t, p}
			if _, ok := c.parts[k]; ok {
				continue
			}
			pctx, cancel := context.WithCancel(ctx)
			c.parts[k] = &partState{tp: k, next: -1, committed: -1, ctx: pctx, cancel: cancel, slot: c.d.Lag.Slot(t, p)}
		}
	}
	c.log.Info("partitions assigned", "partitions", fmt.Sprint(assigned))
}

func (c *Consumer) onRevoked(ctx context.Context, cl *kgo.Client, revoked map[string][]int32) {
	if len(revoked) == 0 {
		return
	}
	// BlockRebalanceOnPoll: the loop is not processing, so this commit covers every
	// record handled so far.
	c.commit(ctx, revoked)
	c.drop(revoked)
	c.d.Lag.Revoked(revoked)
	c.log.Info("partitions revoked", "partitions", fmt.Sprint(revoked))
}

func (c *Consumer) onLost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	if len(lost) == 0 {
		return
	}
	c.drop(lost)
	c.d.Lag.Lost(lost)
	c.log.Warn("partitions lost", "partitions", fmt.Sprint(lost))
}

// drop forgets partitions no longer owned: their DLQ retries stop (the next owner
// re-reads from the committed offset, which never passed a pending record).
func (c *Consumer) drop(parts map[string][]int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	resume := map[string][]int32{}
	for t, ps := range parts {
		for _, p := range ps {
			k := tp{t, p}
			st := c.parts[k]
			if st == nil {
				continue
			}
			st.cancel()
			if st.blocked > 0 {
				c.setBlocked(-1)
			}
			if st.paused {
				resume[t] = append(resume[t], p)
			}
			delete(c.parts, k)
		}
	}
	if len(resume) > 0 {
		c.cl.ResumeFetchPartitions(resume)
	}
}

// setBlocked changes the number of DLQ-blocked partitions; c.mu is held.
func (c *Consumer) setBlocked(delta int) {
	c.blockedParts += delta
	c.d.Metrics.DLQBlocked.Set(float64(c.blockedParts))
	if c.d.Ready == nil {
		return
	}
	if c.blockedParts > 0 {
		c.d.Ready.Block(CondDLQ, strconv.Itoa(c.blockedParts)+" partition(s) paused: the DLQ cannot be written (fail-closed)")
	} else {
		c.d.Ready.Clear(CondDLQ)
	}
}

// Run polls until ctx ends, then commits what was handled and closes the client.
func (c *Consumer) Run(ctx context.Context) error {
	defer c.cl.Close()
	for ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, c.cfg.CommitInterval)
		fs := c.cl.PollFetches(pctx)
		cancel()
		// End offsets first (lagmon's contract): a scrape between the two then sees the
		// fetched records as lag, never a processed offset beyond a stale high watermark.
		c.d.Lag.ObserveFetches(fs)
		c.handle(fs)
		c.dispatchDLQ()
		if time.Since(c.lastCommit) >= c.cfg.CommitInterval {
			c.commit(ctx, nil)
		}
		c.cl.AllowRebalance()
	}
	// Shutdown: records of the last poll are handled; commit them before leaving.
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.commit(sctx, nil)
	c.mu.Lock()
	for _, st := range c.parts {
		st.cancel()
	}
	c.mu.Unlock()
	return nil
}

func benign(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, kgo.ErrClientClosed)
}

// handle processes one poll. It allocates nothing per record for metrics: counters are
// resolved at start, the lag slot is a set of atomics updated once per partition.
func (c *Consumer) handle(fs kgo.Fetches) {
	fetchErr := false
	fs.EachError(func(t string, p int32, err error) {
		if benign(err) {
			return
		}
		fetchErr = true
		c.d.Metrics.Infra[exporter.InfraFetch].Inc()
		c.log.Warn("fetch error", "topic", t, "partition", p, "err", err)
	})
	if c.d.Ready != nil {
		if fetchErr {
			c.d.Ready.Block(CondKafka, "fetch errors")
		} else {
			c.d.Ready.Clear(CondKafka)
		}
	}
	m := c.d.Metrics
	failClosed := c.d.DLQ.FailClosed()
	c.mu.Lock()
	defer c.mu.Unlock()
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		st := c.parts[tp{p.Topic, p.Partition}]
		if st == nil {
			return // not owned any more
		}
		for _, r := range p.Records {
			env, err := envelope.Decode(r.Value)
			if err != nil {
				m.MessagesError.Inc()
				m.ErrorsByType[envelope.KindOf(err)].Inc()
				if failClosed {
					st.pending = append(st.pending, r.Offset)
				}
				c.invalid = append(c.invalid, invalidRec{st, r, err})
			} else {
				if last, ok := c.lastSeq[env.ThreadID]; ok && env.Seq <= last {
					m.Duplicates.Inc()
				} else {
					if !ok && len(c.lastSeq) >= maxTrackedThreads {
						clear(c.lastSeq)
					}
					c.lastSeq[env.ThreadID] = env.Seq
				}
				c.d.Hub.Publish(env.ThreadID, r.Value)
				m.MessagesSuccess.Inc()
			}
			st.next, st.epoch = r.Offset+1, r.LeaderEpoch
		}
		// One lag update per partition per poll, with the last record handled: the whole
		// batch is handled under c.mu before the next poll (and so before any rebalance
		// callback), so a scrape sees the same positions as with an update per record,
		// only at poll granularity, without two atomic stores and a timestamp read per
		// record (docs/LAGMON.md, "Hot path").
		if n := len(p.Records); n > 0 {
			last := p.Records[n-1]
			st.slot.Processed(last.Offset, last.Timestamp)
		}
		if failClosed && len(st.pending) >= c.cfg.MaxPendingDLQ && !st.paused {
			st.paused = true
			c.cl.PauseFetchPartitions(map[string][]int32{st.topic: {st.partition}})
		}
	})
}

// dispatchDLQ starts the asynchronous DLQ writes of the last poll's invalid records.
func (c *Consumer) dispatchDLQ() {
	c.mu.Lock()
	batch := c.invalid
	c.invalid = nil
	c.mu.Unlock()
	for i := range batch {
		ir := batch[i]
		off := ir.r.Offset
		st := ir.ps
		exhausted := false
		c.d.DLQ.Send(st.ctx, ir.r, ir.err, dlq.Result{
			Exhausted: func(err error) {
				c.mu.Lock()
				defer c.mu.Unlock()
				if st.ctx.Err() != nil {
					return
				}
				exhausted = true
				st.blocked++
				if st.blocked == 1 {
					c.setBlocked(1)
					c.log.Error("DLQ unwritable: partition paused, offset held", "topic", st.topic, "partition", st.partition, "offset", off, "err", err)
				}
				if !st.paused {
					st.paused = true
					c.cl.PauseFetchPartitions(map[string][]int32{st.topic: {st.partition}})
				}
			},
			Done: func(err error) {
				c.mu.Lock()
				defer c.mu.Unlock()
				if st.ctx.Err() != nil || !c.d.DLQ.FailClosed() {
					return
				}
				if err != nil {
					return // ctx ended: the partition is gone
				}
				for j, o := range st.pending {
					if o == off {
						st.pending = append(st.pending[:j], st.pending[j+1:]...)
						break
					}
				}
				if exhausted {
					st.blocked--
					if st.blocked == 0 {
						c.setBlocked(-1)
						c.log.Info("DLQ writable again: partition resumed", "topic", st.topic, "partition", st.partition)
					}
				}
				if st.paused && st.blocked == 0 && len(st.pending) < c.cfg.MaxPendingDLQ/2+1 {
					st.paused = false
					c.cl.ResumeFetchPartitions(map[string][]int32{st.topic: {st.partition}})
				}
			},
		})
	}
}

// commit commits the safe offsets of the given partitions (all owned when nil).
func (c *Consumer) commit(ctx context.Context, only map[string][]int32) {
	c.mu.Lock()
	offs := map[string]map[int32]kgo.EpochOffset{}
	add := func(st *partState) {
		o := st.commitOffset()
		if o < 0 || o == st.committed {
			return
		}
		if offs[st.topic] == nil {
			offs[st.topic] = map[int32]kgo.EpochOffset{}
		}
		offs[st.topic][st.partition] = kgo.EpochOffset{Epoch: st.epoch, Offset: o}
	}
	if only == nil {
		for _, st := range c.parts {
			add(st)
		}
	} else {
		for t, ps := range only {
			for _, p := range ps {
				if st := c.parts[tp{t, p}]; st != nil {
					add(st)
				}
			}
		}
	}
	c.lastCommit = time.Now()
	c.mu.Unlock()
	if len(offs) == 0 {
		return
	}
	c.cl.CommitOffsetsSync(ctx, offs, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			if !benign(err) {
				c.d.Metrics.Infra[exporter.InfraCommit].Inc()
			}
			c.log.Warn("commit failed", "err", err)
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					c.d.Metrics.Infra[exporter.InfraCommit].Inc()
					c.log.Warn("commit failed", "topic", t.Topic, "partition", p.Partition, "err", err)
					continue
				}
				o := offs[t.Topic][p.Partition].Offset
				if st := c.parts[tp{t.Topic, p.Partition}]; st != nil {
					st.committed = o
				}
				c.d.Lag.Committed(t.Topic, p.Partition, o)
			}
		}
	})
}
