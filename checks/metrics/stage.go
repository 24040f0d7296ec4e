// Package metrics is verify's metrics stage: it builds the metric inventory from the Go
// packages the workspace loaded once (client_golang constructors, NewDesc, kprom and the
// Go/process collectors) into State.Inventory.Metrics, and checks metric names
// (metric-naming). Index answers lookups for the rules and dashboards stages.
package metrics

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

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
	if !ws.HasGo() {
		return nil
	}
	pkgs, err := ws.Packages(ctx)
	if err != nil {
		return fmt.Errorf("metrics: load go packages: %w", err)
	}
	prefix := ws.Root + string(filepath.Separator)
	entries := Collect(pkgs, ws.Rel, func(name string) bool {
		if !strings.HasPrefix(name, prefix) {
			return false
		}
		rel := ws.Rel(name)
		return !checks.MatchAny(ws.Config.Exclude, rel) && !strings.HasSuffix(rel, "_test.go")
	})
	for _, e := range entries {
		st.Inventory.Metrics = append(st.Inventory.Metrics, e.Metric)
	}
	st.Add(Naming(entries)...)
	return nil
}
