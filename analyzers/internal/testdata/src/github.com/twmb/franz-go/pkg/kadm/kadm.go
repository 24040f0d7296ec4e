// Package kadm is a minimal stub of github.com/twmb/franz-go/pkg/kadm for analyzer tests.
package kadm

import (
	"context"

	"github.com/twmb/franz-go/pkg/kgo"
)

type Client struct{}

type ListedOffsets map[string]map[int32]ListedOffset
type ListedOffset struct {
	Topic     string
	Partition int32
	Offset    int64
}

func NewClient(cl *kgo.Client) *Client              { return &Client{} }
func NewOptClient(opts ...kgo.Opt) (*Client, error) { return &Client{}, nil }
func (*Client) ListEndOffsets(ctx context.Context, topics ...string) (ListedOffsets, error) {
	return nil, nil
}
func (*Client) ListStartOffsets(ctx context.Context, topics ...string) (ListedOffsets, error) {
	return nil, nil
}
func (*Client) Metadata(ctx context.Context, topics ...string) (any, error) { return nil, nil }
func (*Client) Close()                                                      {}
