// Package lagutil holds helpers whose cost must be visible to other packages.
package lagutil

import (
	"context"

	"github.com/twmb/franz-go/pkg/kadm"
)

// UpdateLag queries the end offsets: a round trip.
func UpdateLag(ctx context.Context, adm *kadm.Client, topic string) { // want UpdateLag:"roundtrip:kadm.Client.ListEndOffsets"
	adm.ListEndOffsets(ctx, topic)
}

// Observe records an offset in memory: cheap.
func Observe(partition int32, offset int64) {}

// Async hands work to a new goroutine.
func Async(fn func()) { // want Async:"spawns"
	go fn()
}
