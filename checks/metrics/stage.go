// Package metrics is verify's metrics stage: metric inventory from Go code; fills Inventory.Metrics.
package metrics

import (
	"context"

	"github.com/streamaudit/streamaudit/checks"
)

// Stage is the metrics stage (see checks.Stage).
var Stage = checks.Stage{
	Name:  "metrics",
	Group: "rules",
	Rules: []string{"metric-naming"},
	Run:   run,
}

func run(ctx context.Context, ws *checks.Workspace, st *checks.State) error {
	return nil // TODO(metrics): not built yet
}
