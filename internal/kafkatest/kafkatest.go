// Package kafkatest starts an in-process Kafka-protocol cluster (franz-go's kfake) for
// tests, bound to 127.0.0.1 only, and hands out streamsvc configurations pointing at it.
package kafkatest

import (
	"net"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

// Cluster is a running in-process cluster.
type Cluster struct {
	*kfake.Cluster
	Addrs []string
}

// Option configures New.
type Option = kfake.Opt

// Topic seeds a topic with the given number of partitions.
func Topic(name string, partitions int32) Option { return kfake.SeedTopics(partitions, name) }

// New starts a cluster (one broker unless kfake.NumBrokers is given) listening on
// 127.0.0.1 and stops it when the test ends.
func New(tb testing.TB, opts ...Option) *Cluster {
	tb.Helper()
	base := []kfake.Opt{
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen("tcp", "127.0.0.1:0")
		}),
	}
	c, err := kfake.NewCluster(append(base, opts...)...)
	if err != nil {
		tb.Fatalf("kafkatest: start cluster: %v", err)
	}
	tb.Cleanup(c.Close)
	return &Cluster{Cluster: c, Addrs: c.ListenAddrs()}
}

// Env returns the KAFKA_* environment pointing at the cluster, merged with extra.
func (c *Cluster) Env(extra map[string]string) map[string]string {
	m := map[string]string{"KAFKA_BROKERS": strings.Join(c.Addrs, ",")}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// Config returns a validated streamsvc config pointing at the cluster.
func (c *Cluster) Config(tb testing.TB, extra map[string]string) *kafkaconf.Config {
	tb.Helper()
	cfg, err := kafkaconf.FromMap(c.Env(extra))
	if err != nil {
		tb.Fatalf("kafkatest: config: %v", err)
	}
	return cfg
}
