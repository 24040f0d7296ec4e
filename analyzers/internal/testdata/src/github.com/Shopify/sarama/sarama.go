// Package sarama is a minimal stub of sarama for analyzer tests.
package sarama

import (
	"context"
)

type SASLMechanism string

const SASLTypePlaintext = "PLAIN"

type Config struct {
	Net struct {
		TLS struct {
			Enable bool
			Config any
		}
		SASL struct {
			Enable    bool
			Mechanism SASLMechanism
			User      string
			Password  string
		}
	}
	ClientID string
}

func NewConfig() *Config { return &Config{} }

type Client interface {
	GetOffset(topic string, partition int32, time int64) (int64, error)
	Close() error
}
type ConsumerGroup interface {
	Consume(ctx context.Context, topics []string, h ConsumerGroupHandler) error
}
type SyncProducer interface {
	SendMessage(msg *ProducerMessage) (int32, int64, error)
}
type AsyncProducer interface{}
type ClusterAdmin interface{}
type Consumer interface{}
type ProducerMessage struct {
	Topic string
	Value []byte
}
type ConsumerMessage struct {
	Topic     string
	Partition int32
	Offset    int64
	Value     []byte
}
type ConsumerGroupSession interface {
	MarkMessage(msg *ConsumerMessage, metadata string)
	Commit()
}
type ConsumerGroupClaim interface {
	Messages() <-chan *ConsumerMessage
}
type ConsumerGroupHandler interface {
	ConsumeClaim(ConsumerGroupSession, ConsumerGroupClaim) error
}

func NewClient(addrs []string, conf *Config) (Client, error) { return nil, nil }
func NewConsumerGroup(addrs []string, group string, conf *Config) (ConsumerGroup, error) {
	return nil, nil
}
func NewSyncProducer(addrs []string, conf *Config) (SyncProducer, error)   { return nil, nil }
func NewAsyncProducer(addrs []string, conf *Config) (AsyncProducer, error) { return nil, nil }
func NewClusterAdmin(addrs []string, conf *Config) (ClusterAdmin, error)   { return nil, nil }
func NewConsumer(addrs []string, conf *Config) (Consumer, error)           { return nil, nil }
