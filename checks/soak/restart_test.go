//go:build soak

package soak

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

// The persistent broker container keeps records and committed offsets across a stop and
// start of the same container, and across a crash (SIGKILL) and start (what the
// broker-restart scenario relies on), and clients reach it again under the same advertised
// name.
func TestBrokerContainerRestartKeepsData(t *testing.T) {
	PrepareEnv()
	testcontainers.SkipIfProviderIsNotHealthy(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env, err := NewEnv(ctx, filepath.Join("..", ".."), testLog{t}, nil, "")
	if errors.Is(err, ErrNoEngine) {
		t.Skipf("soak: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close(context.WithoutCancel(ctx))
	if err := env.StartBroker(ctx, BrokerSpec{Topic: "t", Partitions: 2, DLQTopic: "t-dlq", Memory: 256 << 20, Persist: true}); err != nil {
		t.Fatal(err)
	}
	cfg, err := kafkaconf.FromMap(map[string]string{"KAFKA_BROKERS": env.Brokers})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kafkaconf.NewClient(cfg, kgo.Dialer(env.Dial), kgo.DefaultProduceTopic("t"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := range 50 {
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: fmt.Appendf(nil, "r-%d", i)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	adm := kadm.NewClient(cl)
	commit := kadm.Offsets{}
	commit.Add(kadm.Offset{Topic: "t", Partition: 0, At: 7, LeaderEpoch: -1})
	if _, err := adm.CommitOffsets(ctx, "g", commit); err != nil {
		t.Fatal(err)
	}
	if err := env.StopBrokerFor(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := env.StartBrokerAgain(ctx); err != nil {
		t.Fatal(err)
	}
	r := &run{Runner: &Runner{env: env, http: &http.Client{Timeout: 3 * time.Second}}}
	restored, err := r.brokerRestored(ctx)
	if err != nil || !restored {
		t.Fatalf("broker state after restart: restored %t, %v", restored, err)
	}
	for i := 50; i < 60; i++ { // the same client reconnects through the new host port
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: fmt.Appendf(nil, "r-%d", i)}).FirstErr(); err != nil {
			t.Fatalf("produce after the restart: %v", err)
		}
	}
	ends, err := adm.ListEndOffsets(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
	if total != 60 {
		t.Fatalf("after the restart the topic ends at %d records in all, want 50 kept + 10 new", total)
	}
	offs, err := adm.FetchOffsets(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := offs.Lookup("t", 0); !ok || o.At != 7 {
		t.Fatalf("committed offset of g on t/0 after the restart: %+v, want 7", o)
	}

	// A crash (SIGKILL, no shutdown save): what was acknowledged and committed before it
	// is still there, recovered from the segment files and the commit log.
	commit = kadm.Offsets{}
	commit.Add(kadm.Offset{Topic: "t", Partition: 0, At: 9, LeaderEpoch: -1})
	if _, err := adm.CommitOffsets(ctx, "g", commit); err != nil {
		t.Fatal(err)
	}
	if err := env.StopBrokerFor(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if err := env.StartBrokerAgain(ctx); err != nil {
		t.Fatal(err)
	}
	if restored, err := r.brokerRestored(ctx); err != nil || !restored {
		t.Fatalf("broker state after a crash: restored %t, %v", restored, err)
	}
	ends, err = adm.ListEndOffsets(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	total = 0
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
	if total != 60 {
		t.Fatalf("after a crash the topic ends at %d records in all, want the 60 acknowledged", total)
	}
	offs, err = adm.FetchOffsets(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := offs.Lookup("t", 0); !ok || o.At != 9 {
		t.Fatalf("committed offset of g on t/0 after a crash: %+v, want 9", o)
	}
}
