package dlq

import (
	"context"
	"errors"
	"log"

	ibm "github.com/IBM/sarama"
	kafka "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"dlqutil"
)

func valid(r *kgo.Record) bool { return len(r.Value) > 0 }

// bestEffort is the audited M-429 defect: the failure is logged, the commit runs anyway.
func bestEffort(ctx context.Context, cl, dlq *kgo.Client) { // want bestEffort:"commits"
	for {
		fs := cl.PollFetches(ctx)
		for _, r := range fs.Records() {
			if !valid(r) {
				if err := dlq.ProduceSync(ctx, r).FirstErr(); err != nil { // want `the offset commit at line 28 runs even when this dead-letter send fails`
					log.Printf("dlq: %v", err)
				}
			}
		}
		cl.CommitUncommittedOffsets(ctx)
	}
}

// failClosed returns the error before committing: fine.
func failClosed(ctx context.Context, cl, dlq *kgo.Client) error { // want failClosed:"commits"
	for {
		fs := cl.PollFetches(ctx)
		for _, r := range fs.Records() {
			if !valid(r) {
				if err := dlq.ProduceSync(ctx, r).FirstErr(); err != nil {
					return err
				}
			}
		}
		if err := cl.CommitUncommittedOffsets(ctx); err != nil {
			return err
		}
	}
}

// ignoredResult never looks at the result.
func ignoredResult(ctx context.Context, cl *kgo.Client, r *kgo.Record) { // want ignoredResult:"commits"
	cl.ProduceSync(ctx, &kgo.Record{Topic: "events-dlq", Value: r.Value}) // want `the offset commit at line 52 runs even when`
	cl.CommitRecords(ctx, r)
}

// plainProduce produces to an ordinary topic: not judged.
func plainProduce(ctx context.Context, cl *kgo.Client, r *kgo.Record) { // want plainProduce:"commits"
	cl.ProduceSync(ctx, &kgo.Record{Topic: "enriched", Value: r.Value})
	cl.CommitRecords(ctx, r)
}

// viaHelper uses a helper in another package that returns the error: fine.
func viaHelper(ctx context.Context, cl, q *kgo.Client, r *kgo.Record) error { // want viaHelper:"commits"
	if err := dlqutil.Send(ctx, q, r); err != nil {
		return errors.Join(errors.New("dead letter"), err)
	}
	return cl.CommitRecords(ctx, r)
}

// viaHelperIgnored ignores the helper's error.
func viaHelperIgnored(ctx context.Context, cl, q *kgo.Client, r *kgo.Record) { // want viaHelperIgnored:"commits"
	if err := dlqutil.Send(ctx, q, r); err != nil { // want `the offset commit at line 74 runs even when`
		log.Print(err)
	}
	cl.CommitRecords(ctx, r)
}

// viaSwallower calls a helper that drops the failure.
func viaSwallower(ctx context.Context, cl, q *kgo.Client, r *kgo.Record) { // want viaSwallower:"commits"
	dlqutil.SendBestEffort(ctx, q, r) // want `the call of SendBestEffort drops the failure of its dead-letter send, and the offset commit at line 80 runs anyway`
	cl.CommitRecords(ctx, r)
}

// callback drops the failure inside EachRecord; the commit follows the callback.
func callback(ctx context.Context, cl, dlq *kgo.Client) { // want callback:"commits"
	fs := cl.PollFetches(ctx)
	fs.EachRecord(func(r *kgo.Record) { // want `the callback at line 86 drops the failure`
		if !valid(r) {
			if err := dlq.ProduceSync(ctx, r).FirstErr(); err != nil {
				log.Print(err)
			}
		}
	})
	cl.CommitUncommittedOffsets(ctx)
}

type handler struct{ dlq ibm.SyncProducer }

func (h handler) ConsumeClaim(sess ibm.ConsumerGroupSession, claim ibm.ConsumerGroupClaim) error { // want ConsumeClaim:"commits"
	for msg := range claim.Messages() {
		if _, _, err := h.dlq.SendMessage(&ibm.ProducerMessage{Topic: "dlq", Value: msg.Value}); err != nil { // want `the offset commit at line 103 runs even when`
			log.Print(err)
		}
		sess.MarkMessage(msg, "")
	}
	return nil
}

func kafkaGo(ctx context.Context, r *kafka.Reader, deadLetter *kafka.Writer) error { // want kafkaGo:"commits"
	m, err := r.FetchMessage(ctx)
	if err != nil {
		return err
	}
	if err := deadLetter.WriteMessages(ctx, m); err != nil {
		return err
	}
	return r.CommitMessages(ctx, m)
}
