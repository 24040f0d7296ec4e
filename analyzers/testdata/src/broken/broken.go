// Package broken does not type-check; the analyzers must not panic on it.
package broken

import (
	"context"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func undefinedOpts() {
	kgo.NewClient(missing()...)
	kgo.NewClient(kgo.SASL(undefinedMech), kgo.Nope())
	var x int = "string"
	_ = x
}

func brokenLoop(ctx context.Context, cl *kgo.Client, adm *kadm.Client) {
	for {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			adm.ListEndOffsets(ctx, r.Topicc)
			go undefined(r)
		})
		cl.CommitUncommittedOffsets(ctx, extra)
	}
}

type S struct{ opts []kgo.Opt }

func (s *S) f() { kgo.NewClient(s.opts...); s.cfg.Net.TLS.Enable = true }

func wrapper(opts ...kgo.Opt) { kgo.NewClient(opts, kgo.ClientID("x")) }

func flags() {
	fs := flag.NewFlagSet("tail", 0)
	fs.String("brokers", envOr("KAFKA_BROKERS"), "x")
}
