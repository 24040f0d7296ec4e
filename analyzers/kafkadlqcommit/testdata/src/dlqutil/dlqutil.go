// Package dlqutil holds dead-letter helpers used from another package.
package dlqutil

import (
	"context"
	"log"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Send returns the dead-letter send's error.
func Send(ctx context.Context, dlq *kgo.Client, r *kgo.Record) error { // want Send:"dlqsend"
	return dlq.ProduceSync(ctx, r).FirstErr()
}

// SendBestEffort logs the failure and drops it.
func SendBestEffort(ctx context.Context, dlq *kgo.Client, r *kgo.Record) { // want SendBestEffort:"swallows"
	if err := dlq.ProduceSync(ctx, r).FirstErr(); err != nil {
		log.Printf("dlq: %v", err)
	}
}
