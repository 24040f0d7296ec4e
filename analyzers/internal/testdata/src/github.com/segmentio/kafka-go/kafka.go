// Package kafka is a minimal stub of github.com/segmentio/kafka-go for analyzer tests.
package kafka

import (
	"context"
)

type Mechanism interface{ Name() string }

type Dialer struct {
	ClientID      string
	TLS           any
	SASLMechanism Mechanism
}

type RoundTripper interface{ RoundTrip() }

type Transport struct {
	TLS  any
	SASL Mechanism
}

func (*Transport) RoundTrip() {}

type Conn struct{}

func (*Conn) ReadLastOffset() (int64, error) { return 0, nil }

type ReaderConfig struct {
	Brokers []string
	Topic   string
	GroupID string
	Dialer  *Dialer
}
type WriterConfig struct {
	Brokers []string
	Topic   string
	Dialer  *Dialer
}
type Reader struct{}
type Writer struct {
	Addr      string
	Topic     string
	Transport RoundTripper
}
type Client struct {
	Addr      string
	Transport RoundTripper
}
type Message struct {
	Topic string
	Value []byte
}

func NewReader(c ReaderConfig) *Reader                                               { return &Reader{} }
func NewWriter(c WriterConfig) *Writer                                               { return &Writer{} }
func (*Reader) ReadMessage(ctx context.Context) (Message, error)                     { return Message{}, nil }
func (*Reader) FetchMessage(ctx context.Context) (Message, error)                    { return Message{}, nil }
func (*Reader) CommitMessages(ctx context.Context, ms ...Message) error              { return nil }
func (*Writer) WriteMessages(ctx context.Context, ms ...Message) error               { return nil }
func (*Dialer) DialContext(ctx context.Context, network, addr string) (*Conn, error) { return nil, nil }
func DialContext(ctx context.Context, network, addr string) (*Conn, error)           { return nil, nil }
func DialLeader(ctx context.Context, network, addr, topic string, p int) (*Conn, error) {
	return nil, nil
}
