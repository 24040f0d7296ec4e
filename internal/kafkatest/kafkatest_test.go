package kafkatest_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamaudit/streamaudit/internal/kafkatest"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

func client(t *testing.T, c *kafkatest.Cluster, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kafkaconf.NewClient(c.Config(t, nil), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func TestNewSecureRoundTrip(t *testing.T) {
	for _, proto := range []string{"plaintext", "ssl", "sasl_plaintext", "sasl_ssl"} {
		t.Run(proto, func(t *testing.T) {
			c := kafkatest.NewSecure(t, kafkatest.Security{Protocol: proto}, kafkatest.Topic("t", 2))
			env := c.Env(nil)
			if proto != "plaintext" && env["KAFKA_SECURITY_PROTOCOL"] != proto {
				t.Fatalf("Env lacks the protocol: %v", env["KAFKA_SECURITY_PROTOCOL"])
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			p := client(t, c, kgo.DefaultProduceTopic("t"))
			if err := p.ProduceSync(ctx, &kgo.Record{Value: []byte(proto)}).FirstErr(); err != nil {
				t.Fatalf("produce: %v", err)
			}
			cons := client(t, c, kgo.ConsumeTopics("t"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
			fs := cons.PollFetches(ctx)
			if err := fs.Err0(); err != nil {
				t.Fatalf("poll: %v", err)
			}
			if got := string(fs.Records()[0].Value); got != proto {
				t.Fatalf("consumed %q, want %q", got, proto)
			}
		})
	}
}

func TestFailProduceToMakesOnlyThatTopicUnwritable(t *testing.T) {
	c := kafkatest.New(t, kafkatest.Topic("data", 1), kafkatest.Topic("dlq", 1))
	p := client(t, c, kgo.RecordRetries(2))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	clear := c.FailProduceTo("dlq")
	err := p.ProduceSync(ctx, &kgo.Record{Topic: "dlq", Value: []byte("x")}).FirstErr()
	if !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("produce to the unwritable topic: got %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	if err := p.ProduceSync(ctx, &kgo.Record{Topic: "data", Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatalf("produce to another topic: %v", err)
	}
	if fs := c.Broker.Faults(); len(fs) != 1 || fs[0].Hits == 0 || fs[0].Topic != "dlq" {
		t.Fatalf("faults = %+v, want one hit fault on dlq", fs)
	}
	clear()
	if err := p.ProduceSync(ctx, &kgo.Record{Topic: "dlq", Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatalf("produce after clear: %v", err)
	}
	if fs := c.Broker.Faults(); len(fs) != 0 {
		t.Fatalf("faults after clear = %+v", fs)
	}
}

func TestDelayRequestsHoldsUntilCleared(t *testing.T) {
	c := kafkatest.New(t, kafkatest.Topic("t", 1))
	p := client(t, c, kgo.DefaultProduceTopic("t"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Connect first so only the produce request is held.
	if err := p.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	clear := c.DelayRequests(int16(kmsg.Produce), time.Hour)
	done := make(chan error, 1)
	go func() { done <- p.ProduceSync(ctx, &kgo.Record{Value: []byte("x")}).FirstErr() }()
	for c.Broker.Faults()[0].Hits == 0 {
		select {
		case err := <-done:
			t.Fatalf("produce finished while produce requests are delayed an hour: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	clear()
	if err := <-done; err != nil {
		t.Fatalf("held produce after clear: %v", err)
	}
}

func TestDropProduceToClosesConnections(t *testing.T) {
	c := kafkatest.New(t, kafkatest.Topic("t", 1))
	// An idempotent producer never fails a record it sent without an answer (it
	// would break sequence numbers) and retries forever; bound a non-idempotent one.
	p := client(t, c, kgo.DefaultProduceTopic("t"), kgo.DisableIdempotentWrite(), kgo.RecordRetries(2),
		kgo.RetryBackoffFn(func(int) time.Duration { return 10 * time.Millisecond }), kgo.MetadataMinAge(10*time.Millisecond))
	clear := c.DropProduceTo("t")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := p.ProduceSync(ctx, &kgo.Record{Value: []byte("x")}).FirstErr()
	if err == nil {
		t.Fatal("produce succeeded while its requests are dropped")
	}
	if fs := c.Broker.Faults(); len(fs) != 1 || fs[0].Hits == 0 {
		t.Fatalf("faults = %+v, want a hit drop fault", fs)
	}
	clear()
	if err := p.ProduceSync(ctx, &kgo.Record{Value: []byte("y")}).FirstErr(); err != nil {
		t.Fatalf("produce after clear: %v", err)
	}
}

func TestControlURLServesTheBroker(t *testing.T) {
	c := kafkatest.New(t, kafkatest.Topic("dlq", 1))
	resp, err := http.PostForm(c.ControlURL(t)+"/faults/unwritable", url.Values{"topic": {"dlq"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /faults/unwritable: %s", resp.Status)
	}
	p := client(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.ProduceSync(ctx, &kgo.Record{Topic: "dlq", Value: []byte("x")}).FirstErr(); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("produce after the fault was set over HTTP: %v", err)
	}
}

func TestDropRequestsFailsMetadataUntilCleared(t *testing.T) {
	c := kafkatest.New(t)
	cfg := c.Config(t, nil)
	adm, err := kafkaconf.NewAdmin(cfg, kgo.RequestRetries(1), kgo.RetryBackoffFn(func(int) time.Duration { return time.Millisecond }))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	clear := c.DropRequests(int16(kmsg.Metadata))
	if _, err := adm.ListTopics(ctx); err == nil {
		t.Fatal("metadata request answered while metadata requests are dropped")
	}
	clear()
	if _, err := adm.ListTopics(ctx); err != nil {
		t.Fatalf("metadata after clear: %v", err)
	}
}
