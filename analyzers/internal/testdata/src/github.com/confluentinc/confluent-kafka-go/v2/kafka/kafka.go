// Package kafka is a minimal stub of confluent-kafka-go/v2/kafka for analyzer tests.
package kafka

type ConfigValue any
type ConfigMap map[string]ConfigValue

func (m ConfigMap) SetKey(key string, v ConfigValue) error { m[key] = v; return nil }

type Consumer struct{}
type Producer struct{}
type AdminClient struct{}
type Message struct {
	Value []byte
}
type Event interface{}
type TopicPartition struct {
	Topic     *string
	Partition int32
}

func NewConsumer(conf *ConfigMap) (*Consumer, error)       { return &Consumer{}, nil }
func NewProducer(conf *ConfigMap) (*Producer, error)       { return &Producer{}, nil }
func NewAdminClient(conf *ConfigMap) (*AdminClient, error) { return &AdminClient{}, nil }
func (*Consumer) Poll(ms int) Event                        { return nil }
func (*Consumer) ReadMessage(ms int) (*Message, error)     { return nil, nil }
func (*Consumer) QueryWatermarkOffsets(topic string, p int32, ms int) (int64, int64, error) {
	return 0, 0, nil
}
func (*Consumer) CommitMessage(m *Message) ([]TopicPartition, error) { return nil, nil }
func (*Producer) Produce(m *Message, ch chan Event) error            { return nil }
