// Package rules is verify's rules stage: it loads Prometheus rule files (plain files,
// PrometheusRule CRDs, rule YAML in ConfigMaps, Grafana-managed alerts; Helm templates
// are reported as needing rendering) with rulefmt and the PromQL parser of Prometheus
// v0.316.0, and checks them against the metric inventory the metrics stage built.
package rules

import (
	"context"
	"fmt"

	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/checks/metrics"
)

// Stage is the rules stage (see checks.Stage).
var Stage = checks.Stage{
	Name:  "rules",
	Group: "rules",
	Rules: []string{"rules-invalid", "rules-required-alert", "rules-unknown-metric", "rules-counter-func", "rules-unalerted", "rules-copy-drift", "rules-unknown-label", "rules-duplicate-alert", "rules-missing-for", "rules-needs-rendering"},
	Run:   run,
}

func run(ctx context.Context, ws *checks.Workspace, st *checks.State) error {
	in, err := LoadWorkspace(ws, st.Inventory.Metrics)
	if err != nil {
		return err
	}
	st.Add(Run(in)...)
	return nil
}

// LoadWorkspace loads the rule files of ws.Config.Rules (and the copies it lists) into
// an Input for Run, with an index over the inventory.
func LoadWorkspace(ws *checks.Workspace, inventory []checks.Metric) (*Input, error) {
	cfg := ws.Config.Rules
	names, err := ws.Glob(cfg.Files)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	in := &Input{Index: metrics.NewIndex(inventory), Config: cfg}
	if ws.Config.File != "" {
		in.ConfigFile = ws.Rel(ws.Config.File)
	}
	load := func(p string) (*File, error) {
		data, err := ws.ReadFile(p)
		if err != nil {
			return nil, err
		}
		return Load(p, data), nil
	}
	in.Load = load
	for _, n := range names {
		f, err := load(n)
		if err != nil {
			// An unreadable file is a finding for that file; the others are still checked.
			f = &File{Path: n, Kind: KindPlain, Problems: []Problem{{Line: 1, Msg: "cannot read: " + err.Error()}}}
		}
		if f.Kind != KindOther {
			in.Files = append(in.Files, f)
		}
	}
	return in, nil
}
