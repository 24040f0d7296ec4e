// Package commitvia refers to no produce or commit function itself: its summaries come
// only from dlqutil's facts, which must still be read (the analyzer skips SSA only for
// packages that mention neither the tables nor a function with a fact).
package commitvia

import (
	"context"

	"dlqutil"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Forward returns the dead-letter send's error through dlqutil.
func Forward(ctx context.Context, q *kgo.Client, r *kgo.Record) error { // want Forward:"dlqsend"
	return dlqutil.Send(ctx, q, r)
}

// Count touches records only: no summary.
func Count(rs []*kgo.Record) int { return len(rs) }
