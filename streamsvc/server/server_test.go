package server_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/streamaudit/streamaudit/streamsvc/dlq"
	"github.com/streamaudit/streamaudit/streamsvc/loadgen"
	"github.com/streamaudit/streamaudit/streamsvc/server"
)

// N valid and M invalid records: exactly N successes and M errors, M DLQ records with the
// four headers pointing back at the originals, and committed offsets at the end.
func TestValidAndInvalidCounts(t *testing.T) {
	c := cluster(t, 3)
	kc := c.Config(t, map[string]string{"KAFKA_GROUP_ID": "counts"})
	const total, ratio = 400, 0.25 // exactly 100 invalid
	st := produce(t, kc, loadgen.Config{Count: total, InvalidRatio: ratio, Threads: 6})
	if st.Invalid != 100 {
		t.Fatalf("generator made %d invalid records, want 100", st.Invalid)
	}
	r := start(t, kc, server.Options{})
	m := r.svc.Metrics
	eventually(t, "all records handled and DLQ written", func() bool {
		return val(m.MessagesSuccess)+val(m.MessagesError) >= total && val(m.DLQSent) >= 100
	})
	eventually(t, "committed offsets at the end of the topic", func() bool { return caughtUp(t, kc, "counts") })
	if got := val(m.MessagesSuccess); got != 300 {
		t.Errorf("success = %v, want 300", got)
	}
	if got := val(m.MessagesError); got != 100 {
		t.Errorf("error = %v, want 100", got)
	}
	var byType float64
	for _, c := range m.ErrorsByType {
		byType += val(c)
	}
	if byType != 100 {
		t.Errorf("errors by type sum to %v, want 100", byType)
	}
	if got := val(m.DLQSendFailures) + val(m.DLQDropped); got != 0 {
		t.Errorf("DLQ failures+dropped = %v, want 0", got)
	}
	dead := readAll(t, kc, dlqTopic, 100)
	if len(dead) != 100 {
		t.Fatalf("DLQ holds %d records, want 100", len(dead))
	}
	orig := readAll(t, kc, topic, total)
	byPos := map[string][]byte{}
	for _, o := range orig {
		byPos[strconv.Itoa(int(o.Partition))+"@"+strconv.FormatInt(o.Offset, 10)] = o.Value
	}
	for _, d := range dead {
		tp, _ := header(d, dlq.HeaderTopic)
		p, okP := header(d, dlq.HeaderPartition)
		o, okO := header(d, dlq.HeaderOffset)
		e, okE := header(d, dlq.HeaderError)
		if tp != topic || !okP || !okO || !okE || e == "" {
			t.Fatalf("DLQ record lacks headers: topic=%q partition=%v offset=%v error=%q", tp, okP, okO, e)
		}
		if string(byPos[p+"@"+o]) != string(d.Value) {
			t.Fatalf("DLQ record %s@%s does not carry the original value", p, o)
		}
	}
	r.stop(t)
}

// fail-closed: while the DLQ is unwritable no offset passes a poison record, the
// partition pauses and readiness is false; after the fault clears every sequence number
// is either delivered or in the DLQ.
func TestFailClosedHoldsOffsets(t *testing.T) {
	c := cluster(t, 3)
	kc := c.Config(t, map[string]string{"KAFKA_GROUP_ID": "failclosed"})
	clearFault := c.FailProduceTo(dlqTopic)
	ws := newTap()
	r := start(t, kc, server.Options{Tap: ws, DLQ: dlq.Config{MaxAttempts: 2, BaseBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}})
	eventually(t, "ready before the poison arrives", func() bool { code, _ := get(t, "http://"+r.svc.Addr()+"/readyz"); return code == 200 })
	st := produce(t, kc, loadgen.Config{Count: 300, InvalidRatio: 0.05, Threads: 6})
	all := readAll(t, kc, topic, 300)
	firstBad := map[int32]int64{}
	for _, rec := range all {
		if _, ok := firstBad[rec.Partition]; ok {
			continue
		}
		if loadgenInvalid(rec.Value) {
			firstBad[rec.Partition] = rec.Offset
		}
	}
	m := r.svc.Metrics
	eventually(t, "every partition with a poison record blocked", func() bool {
		return val(m.DLQBlocked) == float64(len(firstBad))
	})
	code, body := get(t, "http://"+r.svc.Addr()+"/readyz")
	if code != 503 || val(m.Ready) != 0 {
		t.Fatalf("readyz = %d %q, streamsvc_ready = %v; want 503 and 0 while the DLQ is blocked", code, body, val(m.Ready))
	}
	// Let several commit intervals pass while blocked, then check nothing passed the poison.
	before := val(m.MessagesSuccess) + val(m.MessagesError)
	time.Sleep(300 * time.Millisecond) // give a wrong implementation time to commit too far
	committed, _ := offsets(t, kc, "failclosed")
	for p, bad := range firstBad {
		if got, ok := committed[p]; ok && got > bad {
			t.Errorf("partition %d committed %d, past the poison record at %d", p, got, bad)
		}
	}
	if after := val(m.MessagesSuccess) + val(m.MessagesError); after > 300 || after < before {
		t.Fatalf("handled %v records, want at most 300", after)
	}
	clearFault()
	eventually(t, "every poison record in the DLQ", func() bool { return val(m.DLQSent) == float64(st.Invalid) })
	eventually(t, "committed offsets at the end", func() bool { return caughtUp(t, kc, "failclosed") })
	eventually(t, "ready again", func() bool { code, _ := get(t, "http://"+r.svc.Addr()+"/readyz"); return code == 200 })
	if val(m.DLQBlocked) != 0 {
		t.Fatalf("blocked partitions = %v after recovery", val(m.DLQBlocked))
	}
	accounted := ws.keys()
	for _, d := range readAll(t, kc, dlqTopic, int(st.Invalid)) {
		accounted[loadgen.SeqOf(d)]++
	}
	for k := range allSeqs(st) {
		if accounted[k] == 0 {
			t.Errorf("sequence %s neither delivered nor in the DLQ", k)
		}
	}
	if val(m.DLQDropped) != 0 {
		t.Errorf("dropped = %v in fail-closed mode", val(m.DLQDropped))
	}
	r.stop(t)
}

func loadgenInvalid(v []byte) bool {
	_, err := decode(v)
	return err != nil
}

// best-effort: an unwritable DLQ drops the records (counted) and the offsets move on.
func TestBestEffortDrops(t *testing.T) {
	c := cluster(t, 2)
	kc := c.Config(t, map[string]string{"KAFKA_GROUP_ID": "besteffort", "KAFKA_DLQ_MODE": "best-effort"})
	c.FailProduceTo(dlqTopic)
	st := produce(t, kc, loadgen.Config{Count: 100, InvalidRatio: 0.1})
	r := start(t, kc, server.Options{})
	m := r.svc.Metrics
	eventually(t, "committed offsets at the end", func() bool { return caughtUp(t, kc, "besteffort") })
	eventually(t, "drops counted", func() bool { return val(m.DLQDropped) == float64(st.Invalid) })
	if val(m.DLQBlocked) != 0 || val(m.DLQSent) != 0 {
		t.Fatalf("blocked=%v sent=%v, want 0 and 0", val(m.DLQBlocked), val(m.DLQSent))
	}
	r.stop(t)
}

// A rebalance while a partition is blocked on the DLQ: the member that loses it stops
// retrying, un-pauses and un-counts it; the new owner starts at the committed offset
// (never past the poison record) and, once the DLQ is writable, nothing is missing.
func TestFailClosedAcrossRebalance(t *testing.T) {
	c := cluster(t, 4)
	kc := c.Config(t, map[string]string{"KAFKA_GROUP_ID": "rebalance"})
	clearFault := c.FailProduceTo(dlqTopic)
	fast := dlq.Config{MaxAttempts: 2, BaseBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
	tapA, tapB := newTap(), newTap()
	a := start(t, kc, server.Options{Tap: tapA, DLQ: fast})
	st := produce(t, kc, loadgen.Config{Count: 400, InvalidRatio: 0.02, Threads: 8})
	ma := a.svc.Metrics
	eventually(t, "first member blocked on the DLQ", func() bool { return val(ma.DLQBlocked) > 0 })
	b := start(t, kc, server.Options{Tap: tapB, DLQ: fast})
	mb := b.svc.Metrics
	// The group rebalances while the first member is blocked: both own partitions. (The
	// second one is blocked too only if a partition it got holds a poison record: with 8
	// or so invalid records that is not certain, and waiting for it made the test fail
	// about one run in eight. What fail-closed must hold is checked below, after the fault
	// clears: every record delivered or in the DLQ, none dropped.)
	owned := func(r *running) float64 {
		mfs, err := r.svc.Metrics.Registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "websocket_kafka_owned_partitions" && len(mf.GetMetric()) == 1 {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		return 0
	}
	eventually(t, "partitions shared between the members", func() bool {
		return owned(a) > 0 && owned(b) > 0 && owned(a)+owned(b) == 4 && val(ma.DLQBlocked)+val(mb.DLQBlocked) <= 4
	})
	t.Logf("while the DLQ is down: member A blocked on %v partitions, B on %v", val(ma.DLQBlocked), val(mb.DLQBlocked))
	clearFault()
	eventually(t, "committed offsets at the end", func() bool { return caughtUp(t, kc, "rebalance") })
	eventually(t, "nothing blocked", func() bool { return val(ma.DLQBlocked) == 0 && val(mb.DLQBlocked) == 0 })
	accounted := map[string]int{}
	for k, v := range tapA.keys() {
		accounted[k] += v
	}
	for k, v := range tapB.keys() {
		accounted[k] += v
	}
	dead := readAll(t, kc, dlqTopic, int(st.Invalid))
	for _, d := range dead {
		accounted[loadgen.SeqOf(d)]++
	}
	for k := range allSeqs(st) {
		if accounted[k] == 0 {
			t.Errorf("sequence %s neither delivered nor in the DLQ", k)
		}
	}
	if val(ma.DLQDropped)+val(mb.DLQDropped) != 0 {
		t.Error("records dropped in fail-closed mode")
	}
	b.stop(t)
	a.stop(t)
}
