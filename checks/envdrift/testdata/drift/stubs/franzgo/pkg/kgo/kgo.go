// Package kgo is a signature stub of github.com/twmb/franz-go/pkg/kgo.
package kgo

type Opt interface{}

type Offset struct{}

func NewOffset() Offset               { return Offset{} }
func (o Offset) AtStart() Offset      { return o }
func SeedBrokers(b ...string) Opt     { return nil }
func ConsumeResetOffset(o Offset) Opt { return nil }

type Client struct{}

func NewClient(opts ...Opt) (*Client, error) { return &Client{}, nil }
