// Package kgo is a minimal stub of github.com/twmb/franz-go/pkg/kgo for analyzer tests.
package kgo

import (
	"context"
)

type Opt interface{ apply() }
type ProducerOpt interface{ Opt }
type ConsumerOpt interface{ Opt }
type GroupOpt interface{ Opt }

type opt struct{}

func (opt) apply() {}

type Mechanism interface{ Name() string }

type Client struct{}

type Record struct {
	Topic     string
	Key       []byte
	Value     []byte
	Partition int32
	Offset    int64
}

type Offset struct{}

func NewOffset() Offset          { return Offset{} }
func (o Offset) At(int64) Offset { return o }
func (o Offset) AtStart() Offset { return o }

func NewClient(opts ...Opt) (*Client, error)                                     { return &Client{}, nil }
func SeedBrokers(brokers ...string) Opt                                          { return opt{} }
func ClientID(string) Opt                                                        { return opt{} }
func SASL(m ...Mechanism) Opt                                                    { return opt{} }
func DialTLSConfig(c any) Opt                                                    { return opt{} }
func DialTLS() Opt                                                               { return opt{} }
func Dialer(fn func(ctx context.Context, network, host string) (any, error)) Opt { return opt{} }
func ConsumeTopics(topics ...string) ConsumerOpt                                 { return opt{} }
func ConsumeResetOffset(Offset) ConsumerOpt                                      { return opt{} }
func ConsumerGroup(group string) GroupOpt                                        { return opt{} }
func DisableAutoCommit() GroupOpt                                                { return opt{} }
func DefaultProduceTopic(t string) ProducerOpt                                   { return opt{} }
func ProducerLinger(int) ProducerOpt                                             { return opt{} }

type Fetches []FetchTopic
type FetchTopic struct{}

func (*Client) PollFetches(ctx context.Context) Fetches        { return nil }
func (*Client) PollRecords(ctx context.Context, n int) Fetches { return nil }
func (Fetches) EachRecord(fn func(*Record))                    {}
func (Fetches) Records() []*Record                             { return nil }
func (Fetches) Err0() error                                    { return nil }
func (Fetches) IsClientClosed() bool                           { return false }

type ProduceResults []ProduceResult
type ProduceResult struct {
	Record *Record
	Err    error
}

func (ProduceResults) FirstErr() error { return nil }

func (*Client) ProduceSync(ctx context.Context, rs ...*Record) ProduceResults        { return nil }
func (*Client) Produce(ctx context.Context, r *Record, promise func(*Record, error)) {}
func (*Client) CommitRecords(ctx context.Context, rs ...*Record) error               { return nil }
func (*Client) CommitUncommittedOffsets(ctx context.Context) error                   { return nil }
func (*Client) MarkCommitRecords(rs ...*Record)                                      {}
func (*Client) Request(ctx context.Context, req any) (any, error)                    { return nil, nil }
func (*Client) Close()                                                               {}
