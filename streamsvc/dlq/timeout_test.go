package dlq_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/internal/kafkatest"
	"github.com/streamaudit/streamaudit/streamsvc/dlq"
	"github.com/streamaudit/streamaudit/streamsvc/exporter"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

// A poison record older than the producer's RecordDeliveryTimeout (what every record
// becomes during a long enough DLQ outage) is still written: kgo measures the delivery
// timeout from a record's Timestamp, so the dead-letter record must not carry the original.
func TestOldRecordIsWrittenDespiteDeliveryTimeout(t *testing.T) {
	c := kafkatest.New(t, kafkatest.Topic("src", 1), kafkatest.Topic("dead", 1))
	kc := c.Config(t, map[string]string{"KAFKA_TOPIC": "src"})
	cl, err := kafkaconf.NewClient(kc, kgo.RecordDeliveryTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	w, err := dlq.New(dlq.Config{Topic: "dead", MaxAttempts: 1, BaseBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond}, cl, exporter.NewMetrics())
	if err != nil {
		t.Fatal(err)
	}
	old := orig()
	old.Timestamp = time.Now().Add(-time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	var last error
	w.Send(ctx, old, errors.New("decode: boom"), dlq.Result{
		Exhausted: func(err error) { last = err },
		Done:      func(err error) { done <- err },
	})
	if err := <-done; err != nil {
		t.Fatalf("DLQ write of a one-minute-old record: %v (last attempt error %v)", err, last)
	}
}
