package testbroker_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/internal/testbroker"
)

// A broker restarted on the same data directory still has its topics (seeded and created
// by clients, with their configs), every record, and the group's committed offsets: a group
// member resumes exactly after what was committed before the restart.
func TestDataDirKeepsRecordsAndCommitsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	o := testbroker.Options{
		Topics:    []testbroker.Topic{{Name: "t", Partitions: 2}},
		Retention: testbroker.Retention{Bytes: 8 << 20, SegmentBytes: 64 << 10, CleanerBackoff: time.Second},
		DataDir:   dir,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	b1, err := testbroker.Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer b1.Close()
	if b1.Restored() {
		t.Fatal("a fresh data directory reports restored state")
	}
	env := map[string]string{"KAFKA_BROKERS": b1.Addrs()[0]}
	prod := client(t, env, kgo.DefaultProduceTopic("t"), kgo.ProducerLinger(0))
	if _, err := kadm.NewClient(prod).CreateTopic(ctx, 3, 1, map[string]*string{"retention.ms": new("3600000")}, "made-by-client"); err != nil {
		t.Fatal(err)
	}
	produce := func(from, to int) {
		for i := from; i < to; i++ {
			r := &kgo.Record{Key: []byte{byte(i % 7)}, Value: fmt.Appendf(nil, "r-%d", i)}
			if err := prod.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	produce(0, 100)

	// A group member consumes the 100 records and commits them.
	cons := client(t, env, kgo.ConsumeTopics("t"), kgo.ConsumerGroup("g"), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	for n := 0; n < 100; {
		fs := cons.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of 100 before the restart: %v", n, err)
		}
		n += fs.NumRecords()
	}
	if err := cons.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatal(err)
	}
	cons.Close()
	committed, err := kadm.NewClient(prod).FetchOffsets(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	before := map[int32]int64{}
	committed.Each(func(o kadm.OffsetResponse) { before[o.Partition] = o.At })
	if before[0]+before[1] != 100 {
		t.Fatalf("committed %v before the restart, want 100 records in all", before)
	}
	produce(100, 120) // produced after the commit: the group must see exactly these next
	prod.Close()
	b1.Close()

	b2, err := testbroker.Start(ctx, o)
	if err != nil {
		t.Fatalf("restart on %s: %v", dir, err)
	}
	defer b2.Close()
	if !b2.Restored() {
		t.Fatal("the restarted broker did not restore the data directory")
	}
	st := b2.State()
	var names []string
	for _, ts := range st.Topics {
		names = append(names, ts.Name)
	}
	if !slices.Equal(names, []string{"made-by-client", "t"}) || !st.Restored || st.DataDir != dir {
		t.Fatalf("state after restart: topics %v, restored %t, data dir %q; want [made-by-client t] from %s", names, st.Restored, st.DataDir, dir)
	}
	if info := b2.TopicInfo("made-by-client"); info == nil || info.Configs["retention.ms"] == nil || *info.Configs["retention.ms"] != "3600000" {
		t.Fatalf("the client-created topic lost its config: %+v", info)
	}
	if info := b2.TopicInfo("t"); info == nil || info.Configs["retention.bytes"] == nil || *info.Configs["retention.bytes"] != "8388608" {
		t.Fatalf("the seeded topic lost its retention config: %+v", info)
	}

	env2 := map[string]string{"KAFKA_BROKERS": b2.Addrs()[0]}
	adm := kadm.NewClient(client(t, env2))
	after, err := adm.FetchOffsets(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	got := map[int32]int64{}
	after.Each(func(o kadm.OffsetResponse) { got[o.Partition] = o.At })
	if got[0] != before[0] || got[1] != before[1] {
		t.Fatalf("committed offsets after restart %v, before %v", got, before)
	}

	// Every record is there, in order per partition.
	all := client(t, env2, kgo.ConsumeTopics("t"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	seen := map[string]bool{}
	for len(seen) < 120 {
		fs := all.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %d of 120 records after the restart: %v", len(seen), err)
		}
		fs.EachRecord(func(r *kgo.Record) { seen[string(r.Value)] = true })
	}
	for i := range 120 {
		if !seen[fmt.Sprintf("r-%d", i)] {
			t.Fatalf("record r-%d is missing after the restart", i)
		}
	}

	// The group resumes from its committed offsets: only the 20 later records.
	resumed := client(t, env2, kgo.ConsumeTopics("t"), kgo.ConsumerGroup("g"), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var next []string
	for len(next) < 20 {
		fs := resumed.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("the group resumed with %d of the 20 uncommitted records: %v", len(next), err)
		}
		fs.EachRecord(func(r *kgo.Record) { next = append(next, string(r.Value)) })
	}
	for _, v := range next {
		var i int
		if _, err := fmt.Sscanf(v, "r-%d", &i); err != nil || i < 100 {
			t.Fatalf("the group re-read %s after the restart: committed offsets were not restored", v)
		}
	}
}

// Without a data directory a restart starts empty: what the soak's broker-restart scenario
// would measure without persistence.
func TestWithoutDataDirRestartIsEmpty(t *testing.T) {
	o := testbroker.Options{Topics: []testbroker.Topic{{Name: "t", Partitions: 1}}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b1 := start(t, o)
	cl := client(t, map[string]string{"KAFKA_BROKERS": b1.Addrs()[0]}, kgo.DefaultProduceTopic("t"))
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	b1.Close()
	b2 := start(t, o)
	if b2.Restored() || b2.PartitionInfo("t", 0).HighWatermark != 0 {
		t.Fatalf("a broker without a data directory restored state: high watermark %d", b2.PartitionInfo("t", 0).HighWatermark)
	}
}
