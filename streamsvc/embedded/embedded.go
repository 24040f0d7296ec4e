// Package embedded runs an in-process Kafka-protocol broker (franz-go's kfake) for
// `streamsvc serve --embedded`, so a newcomer sees live data without installing Kafka.
// Topics get size-based retention so the in-memory log stays bounded however long the
// demo runs.
package embedded

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

// Options configures Start.
type Options struct {
	// Topics to create (e.g. KAFKA_TOPIC and KAFKA_DLQ_TOPIC).
	Topics []string
	// Partitions per topic. Default 6.
	Partitions int32
	// RetentionBytes per partition. Default 8 MiB.
	RetentionBytes int64
	// CleanerBackoff is how often retention runs. Default 10s.
	CleanerBackoff time.Duration
}

// Broker is a running in-process broker on a random 127.0.0.1 port.
type Broker struct {
	c     *kfake.Cluster
	Addrs []string
}

// Start starts the broker and creates the topics with retention.
func Start(ctx context.Context, o Options) (*Broker, error) {
	if o.Partitions <= 0 {
		o.Partitions = 6
	}
	if o.RetentionBytes <= 0 {
		o.RetentionBytes = 8 << 20
	}
	if o.CleanerBackoff <= 0 {
		o.CleanerBackoff = 10 * time.Second
	}
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }),
		kfake.BrokerConfigs(map[string]string{"log.cleaner.backoff.ms": strconv.FormatInt(o.CleanerBackoff.Milliseconds(), 10)}),
	)
	if err != nil {
		return nil, fmt.Errorf("embedded broker: %w", err)
	}
	b := &Broker{c: c, Addrs: c.ListenAddrs()}
	kc, err := kafkaconf.FromMap(map[string]string{"KAFKA_BROKERS": b.Addrs[0]})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("embedded broker: %w", err)
	}
	adm, err := kafkaconf.NewAdmin(kc)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("embedded broker: %w", err)
	}
	defer adm.Close()
	rb := strconv.FormatInt(o.RetentionBytes, 10)
	seg := strconv.FormatInt(min(o.RetentionBytes/4, 1<<20), 10)
	cfg := map[string]*string{"retention.bytes": &rb, "segment.bytes": &seg}
	resp, err := adm.CreateTopics(ctx, o.Partitions, 1, cfg, o.Topics...)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("embedded broker: create topics: %w", err)
	}
	return b, nil
}

// Close stops the broker.
func (b *Broker) Close() { b.c.Close() }
