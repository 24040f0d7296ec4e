package kafkaconf_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/internal/kafkatest"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

func TestNewClientRoundTripPlaintext(t *testing.T) {
	c := kafkatest.New(t, kafkatest.Topic("dashstream-quality", 3))
	cfg := c.Config(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	prod, err := kafkaconf.NewClient(cfg, kgo.DefaultProduceTopic(cfg.Topic))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	if err := prod.ProduceSync(ctx, &kgo.Record{Value: []byte("hello")}).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	cons, err := kafkaconf.NewClient(cfg, kgo.ConsumeTopics(cfg.Topic), kgo.ConsumeResetOffset(cfg.ResetOffset()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	fs := cons.PollFetches(ctx)
	if err := fs.Err0(); err != nil {
		t.Fatalf("poll: %v", err)
	}
	if got := string(fs.Records()[0].Value); got != "hello" {
		t.Fatalf("got %q", got)
	}
	adm, err := kafkaconf.NewAdmin(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ends, err := adm.ListEndOffsets(ctx, cfg.Topic)
	if err != nil {
		t.Fatalf("list end offsets: %v", err)
	}
	var total int64
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
	if total != 1 {
		t.Fatalf("end offsets sum %d, want 1", total)
	}
}
