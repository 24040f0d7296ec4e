package soak

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/streamsvc/envelope"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
	"github.com/streamaudit/streamaudit/streamsvc/loadgen"
)

// ScenarioDLQOutage makes the DLQ topic unwritable for the middle third of the run.
const ScenarioDLQOutage = "dlq-outage"

// produced is one record of the source topic as the harness read it back.
type produced struct {
	seq       string
	partition int32
	offset    int64
	invalid   bool // streamsvc's decoder rejects it: it belongs in the DLQ
}

// readTopic reads a whole topic from the start (no group) and returns every record's
// loadgen sequence number, position and validity.
func (r *run) readTopic(ctx context.Context, topic string) ([]produced, error) {
	cfg, err := kafkaconf.FromMap(r.env.ClientEnv())
	if err != nil {
		return nil, err
	}
	cl, err := kafkaconf.NewClient(cfg, kgo.Dialer(r.env.Dial), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	want := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) { want[o.Partition] = o.Offset })
	got := map[int32]int64{}
	var out []produced
	done := func() bool {
		for p, e := range want {
			if got[p] < e {
				return false
			}
		}
		return true
	}
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for !done() {
		fs := cl.PollFetches(rctx)
		if err := rctx.Err(); err != nil {
			return nil, fmt.Errorf("read %s: %v (read up to %v of %v)", topic, err, got, want)
		}
		fs.EachRecord(func(rec *kgo.Record) {
			got[rec.Partition] = rec.Offset + 1
			if s := loadgen.SeqOf(rec); s != "" {
				_, err := envelope.Decode(rec.Value)
				out = append(out, produced{seq: s, partition: rec.Partition, offset: rec.Offset, invalid: err != nil})
			}
		})
	}
	return out, nil
}

// dlqOutage runs the load with a share of invalid records, makes the DLQ topic unwritable
// for the middle third, then accounts for every produced sequence number. streamsvc
// commits a partition's offset only past records it fully handled, so a record below the
// group's committed offset was processed, and an invalid one among them must be in the DLQ
// topic; a record at or above it was never processed (a stall, reported as well). The
// WebSocket output is no witness: the hub disconnects clients that fall behind, by design.
func (r *run) dlqOutage(ctx context.Context, adm *kadm.Client, loadDone <-chan error) (*Loss, error) {
	third := r.o.Duration / 3
	if err := r.hold(ctx, third); err != nil {
		return nil, err
	}
	if err := r.control(ctx, http.MethodPost, "/faults/unwritable?topic="+r.dlq); err != nil {
		return nil, err
	}
	r.mark("DLQ unwritable")
	r.logf("DLQ topic %s unwritable", r.dlq)
	if err := r.hold(ctx, third); err != nil {
		return nil, err
	}
	if err := r.control(ctx, http.MethodDelete, "/faults"); err != nil {
		return nil, err
	}
	r.mark("DLQ back")
	r.logf("DLQ topic writable again")
	return r.settleAndAccount(ctx, adm, loadDone)
}

// settleAndAccount waits for the load generator to finish and the group to commit
// everything (at most a minute), reads the source and DLQ topics back and accounts for
// every produced sequence number: processed, dead-lettered, lost, never processed,
// acknowledged by the broker but gone, duplicated or redelivered.
func (r *run) settleAndAccount(ctx context.Context, adm *kadm.Client, loadDone <-chan error) (*Loss, error) {
	select {
	case err := <-loadDone:
		if err != nil {
			return nil, err
		}
	case <-time.After(r.o.Duration + time.Minute):
		return nil, fmt.Errorf("the load generator did not finish within %s after the faults", r.o.Duration+time.Minute)
	}
	// Wait for the group to commit everything (fail-closed retries included).
	deadline := time.Now().Add(time.Minute)
	for {
		lag, err := adm.Lag(ctx, r.group)
		if err == nil {
			total := int64(0)
			lag.Each(func(l kadm.DescribedGroupLag) { total += l.Lag.Total() })
			if total == 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			r.res.Notes = append(r.res.Notes, "the group had not committed every record a minute after the load ended")
			break
		}
		if err := r.hold(ctx, time.Second); err != nil {
			return nil, err
		}
	}
	if err := r.hold(ctx, 2*time.Second); err != nil { // last WebSocket writes
		return nil, err
	}
	source, err := r.readTopic(ctx, r.topic)
	if err != nil {
		return nil, err
	}
	dead, err := r.readTopic(ctx, r.dlq)
	if err != nil {
		return nil, err
	}
	offs, err := adm.FetchOffsets(ctx, r.group)
	if err != nil {
		return nil, fmt.Errorf("committed offsets of %s: %w", r.group, err)
	}
	committed := map[int32]int64{}
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Topic == r.topic && o.Err == nil {
			committed[o.Partition] = o.At
		}
	})
	l := account(source, dead, committed)
	// Every record the load generator had acknowledged must still be in the topic, unless
	// retention already deleted the oldest ones.
	starts, err := adm.ListStartOffsets(ctx, r.topic)
	trimmed := err != nil
	starts.Each(func(o kadm.ListedOffset) { trimmed = trimmed || o.Offset > 0 })
	switch {
	case r.res.Load.ExitCode != 0:
		r.res.Notes = append(r.res.Notes, fmt.Sprintf("the load generator exited %d: acknowledged records are not checked against the topic", r.res.Load.ExitCode))
	case trimmed:
		r.res.Notes = append(r.res.Notes, "retention deleted the oldest records before the read-back: acknowledged records are not checked against the topic")
	default:
		l.AckedLost, l.AckedLostExamples = ackedLost(source, r.res.Load.Requested)
	}
	// Records consumed more than once (a commit lost in a restart or rebalance) are
	// counted from the members' own counters: consumed minus distinct handled.
	if handled := float64(l.Processed + l.DLQ); r.res.Consumed > handled {
		l.Redelivered = int64(r.res.Consumed - handled)
	}
	return l, nil
}

// ackedLost counts the records the load generator produced and the broker acknowledged
// (all requested ones, when it exited 0) that are not in the source topic. The generator
// numbers each thread's records 1, 2, 3, ... so a gap in a thread's sequence names a lost
// record; a lost tail shows only in the total.
func ackedLost(source []produced, requested int64) (int64, []string) {
	seqs := map[string]map[uint64]bool{}
	for _, p := range source {
		thread, n, err := loadgen.ParseSeq(p.seq)
		if err != nil {
			continue
		}
		if seqs[thread] == nil {
			seqs[thread] = map[uint64]bool{}
		}
		seqs[thread][n] = true
	}
	distinct := int64(0)
	var examples []string
	threads := make([]string, 0, len(seqs))
	for t := range seqs {
		threads = append(threads, t)
	}
	slices.Sort(threads)
	for _, t := range threads {
		distinct += int64(len(seqs[t]))
		top := uint64(0)
		for n := range seqs[t] {
			top = max(top, n)
		}
		for n := uint64(1); n <= top && len(examples) < 5; n++ {
			if !seqs[t][n] {
				examples = append(examples, fmt.Sprintf("%s/%d", t, n))
			}
		}
	}
	if distinct >= requested {
		return 0, nil
	}
	return requested - distinct, examples
}

// account classifies every produced record: below its partition's committed offset it was
// processed (valid) or must be in the DLQ (invalid, else lost); at or above it, it was never
// processed. A sequence number read twice from the source, or found more than once in the
// DLQ, is a duplicate.
func account(source, dead []produced, committed map[int32]int64) *Loss {
	inDLQ := map[string]int{}
	for _, d := range dead {
		inDLQ[d.seq]++
	}
	l := &Loss{Produced: int64(len(source))}
	seen := map[string]bool{}
	for _, p := range source {
		if seen[p.seq] {
			l.Duplicates++ // produced twice (a producer retry): counted, not lost
			continue
		}
		seen[p.seq] = true
		switch {
		case p.offset >= committed[p.partition]:
			l.Unprocessed++
			if len(l.Examples) < 5 {
				l.Examples = append(l.Examples, fmt.Sprintf("%s (p%d@%d, never committed)", p.seq, p.partition, p.offset))
			}
		case !p.invalid:
			l.Processed++
		case inDLQ[p.seq] > 0:
			l.DLQ++
			if inDLQ[p.seq] > 1 {
				l.Duplicates += int64(inDLQ[p.seq] - 1)
			}
		default:
			l.Missing++
			if len(l.Examples) < 5 {
				l.Examples = append(l.Examples, fmt.Sprintf("%s (p%d@%d, invalid, committed past, not in the DLQ)", p.seq, p.partition, p.offset))
			}
		}
	}
	slices.Sort(l.Examples)
	return l
}
