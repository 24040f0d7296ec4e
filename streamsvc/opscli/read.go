package opscli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/streamsvc/dlq"
	"github.com/streamaudit/streamaudit/streamsvc/envelope"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

// printRecord writes one line: position, then the envelope's fields or the decode error.
func printRecord(w io.Writer, r *kgo.Record, raw bool) {
	if raw {
		fmt.Fprintf(w, "%s\n", r.Value)
		return
	}
	e, err := envelope.Decode(r.Value)
	if err != nil {
		fmt.Fprintf(w, "%s/%d@%d\tINVALID\t%v\n", r.Topic, r.Partition, r.Offset, err)
		return
	}
	fmt.Fprintf(w, "%s/%d@%d\t%s\t%d\t%s\t%s\t%s\n", r.Topic, r.Partition, r.Offset, e.ThreadID, e.Seq, e.Kind, e.TS.Format(time.RFC3339Nano), e.Payload)
}

func runTail(ctx context.Context, e *env, args []string) error {
	c := newFlags(e, "tail", true)
	fromStart := c.fs.Bool("from-beginning", false, "start at the oldest record instead of the end (new groups only)")
	count := c.fs.Int("count", 0, "stop after this many records (0: until interrupted)")
	thread := c.fs.String("thread", "", "only records of this thread id")
	raw := c.fs.Bool("raw", false, "print record values as they are")
	if err := c.parse(args); err != nil {
		return err
	}
	if *count < 0 {
		return fmt.Errorf("%w: --count=%d: want >= 0", ErrUsage, *count)
	}
	cfg, err := c.config(e)
	if err != nil {
		return err
	}
	group, commit := groupFor(cfg, "tail")
	reset := kgo.NewOffset().AtEnd()
	if *fromStart {
		reset = kgo.NewOffset().AtStart()
	}
	opts := []kgo.Opt{kgo.ConsumerGroup(group), kgo.ConsumeTopics(cfg.Topic), kgo.ConsumeResetOffset(reset)}
	if commit {
		// Commit exactly what was printed: marked records, periodically and at exit.
		opts = append(opts, kgo.AutoCommitMarks())
	} else {
		opts = append(opts, kgo.DisableAutoCommit())
	}
	cl, err := kafkaconf.NewClient(cfg, opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	fmt.Fprintf(e.stderr, "tail: topic %s, group %s (commits: %v)\n", cfg.Topic, group, commit)
	defer func() {
		if commit {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := cl.CommitMarkedOffsets(cctx); err != nil {
				fmt.Fprintf(e.stderr, "tail: commit: %v\n", err)
			}
		}
	}()
	n := 0
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err := fetchErr(fs); err != nil {
			return err
		}
		for _, r := range fs.Records() {
			cl.MarkCommitRecords(r)
			if *thread != "" && string(r.Key) != *thread {
				continue
			}
			printRecord(e.stdout, r, *raw)
			n++
			if *count > 0 && n >= *count {
				return nil
			}
		}
	}
}

func fetchErr(fs kgo.Fetches) error {
	var first error
	fs.EachError(func(t string, p int32, err error) {
		if first == nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			first = fmt.Errorf("fetch %s/%d: %w", t, p, err)
		}
	})
	return first
}

// readRange reads every record of topic from start (per partition) up to the end
// offsets at the time of the call, without a consumer group, calling fn in partition
// order within each partition.
func readRange(ctx context.Context, cfg *kafkaconf.Config, topic string, since time.Time, fn func(*kgo.Record) (stop bool, err error)) error {
	adm, err := kafkaconf.NewAdmin(cfg)
	if err != nil {
		return err
	}
	defer adm.Close()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return fmt.Errorf("list end offsets of %s: %w", topic, err)
	}
	var starts kadm.ListedOffsets
	if since.IsZero() {
		starts, err = adm.ListStartOffsets(ctx, topic)
	} else {
		starts, err = adm.ListOffsetsAfterMilli(ctx, since.UnixMilli(), topic)
	}
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return fmt.Errorf("list start offsets of %s: %w", topic, err)
	}
	remaining := map[int32]int64{}
	assign := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		s, _ := starts.Lookup(topic, o.Partition)
		if s.Offset < o.Offset {
			remaining[o.Partition] = o.Offset
			assign[o.Partition] = kgo.NewOffset().At(s.Offset)
		}
	})
	if len(assign) == 0 {
		return nil
	}
	cl, err := kafkaconf.NewClient(cfg, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: assign}))
	if err != nil {
		return err
	}
	defer cl.Close()
	for len(remaining) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fetchErr(fs); err != nil {
			return err
		}
		var stop bool
		var ferr error
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			end, ok := remaining[p.Partition]
			for _, r := range p.Records {
				if !ok || stop || ferr != nil || r.Offset >= end {
					break
				}
				stop, ferr = fn(r)
				if r.Offset+1 >= end {
					delete(remaining, p.Partition)
				}
			}
		})
		if ferr != nil || stop {
			return ferr
		}
	}
	return nil
}

func runReplay(ctx context.Context, e *env, args []string) error {
	c := newFlags(e, "replay", false)
	since := c.fs.Duration("since", 0, "start at records newer than this long ago (0: from the oldest record)")
	thread := c.fs.String("thread", "", "only records of this thread id")
	to := c.fs.String("to", "", "produce the records into this topic instead of printing them")
	raw := c.fs.Bool("raw", false, "print record values as they are")
	if err := c.parse(args); err != nil {
		return err
	}
	if *since < 0 {
		return fmt.Errorf("%w: --since=%v: want >= 0", ErrUsage, *since)
	}
	cfg, err := c.config(e)
	if err != nil {
		return err
	}
	if *to == cfg.Topic {
		return fmt.Errorf("%w: --to=%q: must differ from --topic", ErrUsage, *to)
	}
	var start time.Time
	if *since > 0 {
		start = time.Now().Add(-*since)
	}
	var prod *kgo.Client
	if *to != "" {
		if prod, err = kafkaconf.NewClient(cfg, kgo.DefaultProduceTopic(*to)); err != nil {
			return err
		}
		defer prod.Close()
	}
	n := 0
	err = readRange(ctx, cfg, cfg.Topic, start, func(r *kgo.Record) (bool, error) {
		if *thread != "" && string(r.Key) != *thread {
			return false, nil
		}
		n++
		if prod == nil {
			printRecord(e.stdout, r, *raw)
			return false, nil
		}
		out := &kgo.Record{Key: r.Key, Value: r.Value, Headers: r.Headers}
		return false, prod.ProduceSync(ctx, out).FirstErr()
	})
	if err != nil {
		return err
	}
	if prod != nil {
		fmt.Fprintf(e.stdout, "replayed %d records from %s into %s\n", n, cfg.Topic, *to)
	}
	return nil
}

func runDLQ(ctx context.Context, e *env, args []string) error {
	c := newFlags(e, "dlq", false)
	dlqTopic := c.fs.String("dlq-topic", "", "dead-letter topic (env KAFKA_DLQ_TOPIC, default "+tableDefault("KAFKA_DLQ_TOPIC")+")")
	count := c.fs.Int("count", 0, "list at most this many records (0: all)")
	redrive := c.fs.Bool("redrive", false, "re-produce each dead-letter record to its original topic (after fixing the producer)")
	if err := c.parse(args); err != nil {
		return err
	}
	if *count < 0 {
		return fmt.Errorf("%w: --count=%d: want >= 0", ErrUsage, *count)
	}
	cfg, err := c.config(e)
	if err != nil {
		return err
	}
	dt := cfg.DLQTopic
	if *dlqTopic != "" {
		dt = *dlqTopic
	}
	var prod *kgo.Client
	if *redrive {
		if prod, err = kafkaconf.NewClient(cfg); err != nil {
			return err
		}
		defer prod.Close()
	}
	n := 0
	err = readRange(ctx, cfg, dt, time.Time{}, func(r *kgo.Record) (bool, error) {
		h := map[string]string{}
		var keep []kgo.RecordHeader
		for _, x := range r.Headers {
			switch x.Key {
			case dlq.HeaderTopic, dlq.HeaderPartition, dlq.HeaderOffset, dlq.HeaderError:
				h[x.Key] = string(x.Value)
			default:
				keep = append(keep, x)
			}
		}
		n++
		fmt.Fprintf(e.stdout, "%s/%d@%d\tfrom %s/%s@%s\t%s\t%q\n", r.Topic, r.Partition, r.Offset,
			h[dlq.HeaderTopic], h[dlq.HeaderPartition], h[dlq.HeaderOffset], h[dlq.HeaderError], truncate(r.Value, 120))
		if prod != nil {
			t := h[dlq.HeaderTopic]
			if t == "" {
				return true, fmt.Errorf("%s/%d@%d: no %s header, cannot redrive", r.Topic, r.Partition, r.Offset, dlq.HeaderTopic)
			}
			if err := prod.ProduceSync(ctx, &kgo.Record{Topic: t, Key: r.Key, Value: r.Value, Headers: keep}).FirstErr(); err != nil {
				return true, err
			}
		}
		return *count > 0 && n >= *count, nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "dlq: %d record(s) in %s%s\n", n, dt, map[bool]string{true: ", redriven", false: ""}[*redrive])
	return nil
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…(" + strconv.Itoa(len(b)) + " bytes)"
}
