package server_test

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/streamsvc/consume"
	"github.com/streamaudit/streamaudit/streamsvc/dlq"
	"github.com/streamaudit/streamaudit/streamsvc/loadgen"
	"github.com/streamaudit/streamaudit/streamsvc/server"
)

// The soak dlq-outage scenario in small: a DLQ outage longer than the DLQ producer's
// RecordDeliveryTimeout (10 s in production, 1 s here), with many poison records, so that
// every partition exhausts its retries and fills its pending queue (back-pressure pause).
// Once the DLQ is writable again every partition must resume and reach the end: each
// record delivered or in the DLQ, readiness back, no partition counted as blocked. (The
// soak found partitions paused for good: DLQ records carried the original record's
// timestamp, from which kgo measures the delivery timeout, so once the poison record was
// older than the timeout every retry failed at once with "records have timed out".)
func TestFailClosedRecoversAfterLongOutage(t *testing.T) {
	const parts, count = 4, 4000
	c := cluster(t, parts)
	kc := c.Config(t, map[string]string{"KAFKA_GROUP_ID": "outage"})
	clearFault := c.FailProduceTo(dlqTopic)
	ws := newTap()
	r := start(t, kc, server.Options{
		Tap:     ws,
		DLQ:     dlq.Config{MaxAttempts: 2, BaseBackoff: 5 * time.Millisecond, MaxBackoff: 40 * time.Millisecond},
		Consume: consume.Config{MaxPendingDLQ: 40},
		// The delivery timeout counts from a record's timestamp; a short one makes the
		// outage outlast it quickly.
		ProducerOpts: []kgo.Opt{kgo.RecordDeliveryTimeout(time.Second)},
		// The pending limit is checked per fetched batch: small batches and fetches make a
		// partition arrive in many fetches, so the limit stops the loop mid-partition.
		ConsumerOpts: []kgo.Opt{kgo.FetchMaxPartitionBytes(4 << 10)},
	})
	// Thread ids are the record keys and random per run: with 64 of them every partition
	// gets keys (16 left one of 4 partitions empty in ~4% of runs, which then never blocks).
	st := produce(t, kc, loadgen.Config{Count: count, InvalidRatio: 0.3, Threads: 64}, kgo.ProducerBatchMaxBytes(2000))
	poison := map[int32]int{}
	for _, rec := range readAll(t, kc, topic, count) {
		if loadgenInvalid(rec.Value) {
			poison[rec.Partition]++
		}
	}
	for p := int32(0); p < parts; p++ {
		if poison[p] < 40 {
			t.Fatalf("test input: partition %d holds %d poison records, want >= MaxPendingDLQ (40) in every partition: %v", p, poison[p], poison)
		}
	}
	m := r.svc.Metrics
	eventually(t, "every partition blocked on the DLQ", func() bool { return val(m.DLQBlocked) == parts })
	// Keep the DLQ down until every partition has hit its pending limit (the loop has
	// stopped handling records) and retries have run several rounds.
	var handled float64
	eventually(t, "the loop stops handling records (back-pressure)", func() bool {
		h := val(m.MessagesSuccess) + val(m.MessagesError)
		same := h == handled
		handled = h
		time.Sleep(200 * time.Millisecond)
		return same && val(m.DLQSendFailures) > 4*40*parts
	})
	time.Sleep(1500 * time.Millisecond) // the outage outlasts the delivery timeout
	if handled >= count {
		t.Fatalf("handled all %v records while the DLQ was down; the pending limit did not pause", handled)
	}
	clearFault()
	eventually(t, "committed offsets at the end of every partition", func() bool { return caughtUp(t, kc, "outage") })
	eventually(t, "every poison record in the DLQ", func() bool { return val(m.DLQSent) >= float64(st.Invalid) })
	eventually(t, "ready again", func() bool { code, _ := get(t, "http://"+r.svc.Addr()+"/readyz"); return code == 200 })
	if val(m.DLQBlocked) != 0 {
		t.Fatalf("websocket_dlq_blocked_partitions = %v after recovery", val(m.DLQBlocked))
	}
	accounted := ws.keys()
	for _, d := range readAll(t, kc, dlqTopic, int(st.Invalid)) {
		accounted[loadgen.SeqOf(d)]++
	}
	missing := 0
	for k := range allSeqs(st) {
		if accounted[k] == 0 {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d sequences neither delivered nor in the DLQ", missing, count)
	}
	if val(m.DLQDropped) != 0 {
		t.Errorf("dropped = %v in fail-closed mode", val(m.DLQDropped))
	}
	r.stop(t)
}
