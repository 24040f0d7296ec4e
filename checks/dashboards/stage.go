// Package dashboards is verify's dashboards stage: Grafana dashboards.
package dashboards

import (
	"context"

	"github.com/streamaudit/streamaudit/checks"
)

// Stage is the dashboards stage (see checks.Stage).
var Stage = checks.Stage{
	Name:  "dashboards",
	Group: "rules",
	Rules: []string{"dashboard-unknown-metric", "dashboard-invalid"},
	Run:   run,
}

func run(ctx context.Context, ws *checks.Workspace, st *checks.State) error {
	return nil // TODO(dashboards): not built yet
}
