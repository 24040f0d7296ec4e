package hotloop

import (
	"context"
	"time"

	ibm "github.com/IBM/sarama"
	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"
	kafka "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"lagutil"
	"workpool"
)

func process(r *kgo.Record) {}

func franzWatermarks(ctx context.Context, cl *kgo.Client, adm *kadm.Client) { // want franzWatermarks:"roundtrip:kadm.Client.ListEndOffsets,polls"
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			adm.ListEndOffsets(ctx, r.Topic) // want `broker round trip kadm.Client.ListEndOffsets inside the poll loop \(line 19\)`
		})
	}
}

func franzViaHelper(ctx context.Context, cl *kgo.Client, adm *kadm.Client) { // want franzViaHelper:"roundtrip:kadm.Client.ListEndOffsets,polls"
	for {
		fs := cl.PollFetches(ctx)
		for _, r := range fs.Records() {
			lagutil.UpdateLag(ctx, adm, r.Topic) // want `call to lagutil.UpdateLag inside the poll loop \(line 28\) performs a broker round trip \(kadm.Client.ListEndOffsets\)`
			lagutil.Observe(r.Partition, r.Offset)
			process(r)
		}
		cl.CommitUncommittedOffsets(ctx)
	}
}

func franzGoroutine(ctx context.Context, cl *kgo.Client) { // want franzGoroutine:"spawns,polls"
	for {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			go process(r) // want `goroutine started inside the poll loop`
		})
		lagutil.Async(func() {}) // want `call to lagutil.Async inside the poll loop \(line 40\) starts a goroutine`
	}
}

func localRoundTrip(ctx context.Context, adm *kadm.Client) { // want localRoundTrip:"roundtrip:kadm.Client.ListStartOffsets"
	adm.ListStartOffsets(ctx, "t")
}

func franzLocal(ctx context.Context, cl *kgo.Client, adm *kadm.Client) { // want franzLocal:"roundtrip:kadm.Client.ListStartOffsets,polls"
	for {
		cl.PollRecords(ctx, 100)
		localRoundTrip(ctx, adm) // want `call to hotloop.localRoundTrip inside the poll loop`
	}
}

// Negative: the lag monitor polls watermarks on its own ticker, off the consume path.
func lagMonitor(ctx context.Context, adm *kadm.Client) { // want lagMonitor:"roundtrip:kadm.Client.ListEndOffsets"
	t := time.NewTicker(time.Second)
	for range t.C {
		adm.ListEndOffsets(ctx, "t")
	}
}

// Negative: the monitor is started once, before the loop.
func franzClean(ctx context.Context, cl *kgo.Client, adm *kadm.Client) { // want franzClean:"spawns,polls"
	go lagMonitor(ctx, adm)
	for {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			lagutil.Observe(r.Partition, r.Offset)
		})
		cl.CommitUncommittedOffsets(ctx)
	}
}

type handler struct{ client ibm.Client }

func (h handler) ConsumeClaim(sess ibm.ConsumerGroupSession, claim ibm.ConsumerGroupClaim) error { // want ConsumeClaim:"roundtrip:sarama.Client.GetOffset,spawns,polls"
	for msg := range claim.Messages() {
		h.client.GetOffset(msg.Topic, msg.Partition, -1) // want `broker round trip sarama.Client.GetOffset`
		go func() {}()                                   // want `goroutine started inside the poll loop`
		sess.MarkMessage(msg, "")
	}
	return nil
}

func kafkaGo(ctx context.Context, r *kafka.Reader, conn *kafka.Conn) { // want kafkaGo:"roundtrip:kafkago.Conn.ReadLastOffset,polls"
	for {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			return
		}
		conn.ReadLastOffset() // want `broker round trip kafkago.Conn.ReadLastOffset`
		_ = m
	}
}

func confluent(c *ckafka.Consumer) { // want confluent:"roundtrip:confluent.Consumer.QueryWatermarkOffsets,polls"
	for {
		ev := c.Poll(100)
		if ev == nil {
			continue
		}
		c.QueryWatermarkOffsets("t", 0, 1000) // want `broker round trip confluent.Consumer.QueryWatermarkOffsets`
	}
}

func ignored(ctx context.Context, cl *kgo.Client, adm *kadm.Client) { // want ignored:"roundtrip:kadm.Client.Metadata,polls"
	for {
		cl.PollFetches(ctx)
		//streamaudit:ignore kafka-hotloop admin check runs once per hour-long batch
		adm.Metadata(ctx)
	}
}

// Negative: the watermark refresh runs on a ticker inside the consume loop, not per record.
func tickerInLoop(ctx context.Context, cl *kgo.Client, adm *kadm.Client) { // want tickerInLoop:"roundtrip:kadm.Client.ListEndOffsets,polls"
	t := time.NewTicker(time.Second)
	for {
		select {
		case <-t.C:
			adm.ListEndOffsets(ctx, "t")
		default:
		}
		cl.PollFetches(ctx)
	}
}

func franzWorkpool(ctx context.Context, cl *kgo.Client) { // want franzWorkpool:"polls"
	for {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			workpool.Go(func() { process(r) }) // want `call to workpool.Go inside the poll loop \(line \d+\) starts a goroutine`
			workpool.Run(func() { process(r) })
		})
	}
}
