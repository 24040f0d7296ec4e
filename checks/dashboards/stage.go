// Package dashboards is verify's dashboards stage: it parses Grafana dashboards (panels,
// collapsed and legacy rows, templating queries) and checks every Prometheus query
// against the metric inventory (dashboard-unknown-metric) and the PromQL parser
// (dashboard-invalid).
package dashboards

import (
	"context"
	"fmt"
	"strings"

	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/checks/metrics"
	"github.com/streamaudit/streamaudit/checks/rules"
)

// Stage is the dashboards stage (see checks.Stage).
var Stage = checks.Stage{
	Name:  "dashboards",
	Group: "rules",
	Rules: []string{"dashboard-unknown-metric", "dashboard-invalid", "rules-copy-drift"},
	Run:   run,
}

func run(ctx context.Context, ws *checks.Workspace, st *checks.State) error {
	names, err := ws.Glob(ws.Config.Dashboards)
	if err != nil {
		return fmt.Errorf("dashboards: %w", err)
	}
	for _, set := range ws.Config.Rules.Copies {
		if !IsDashboardCopySet(set) {
			continue
		}
		st.Add(checkCopySet(ws, set)...)
	}
	if len(names) == 0 {
		return nil
	}
	var recorded map[string]bool
	if in, err := rules.LoadWorkspace(ws, nil); err == nil {
		recorded = Recorded(in.Files)
	}
	ix := metrics.NewIndex(st.Inventory.Metrics)
	for _, n := range names {
		isJSON := strings.HasSuffix(n, ".json")
		if !isJSON && !strings.HasSuffix(n, ".yaml") && !strings.HasSuffix(n, ".yml") {
			continue
		}
		data, err := ws.ReadFile(n)
		if err != nil {
			st.Add(checks.Finding{Rule: "dashboard-invalid", File: n, Message: "dashboard cannot be read: " + err.Error(), Key: "read"})
			continue
		}
		if isJSON {
			st.Add(Check(Load(n, data), ix, recorded)...)
			continue
		}
		for _, d := range LoadConfigMaps(n, data) { // dashboards inside ConfigMaps
			st.Add(Check(d, ix, recorded)...)
		}
	}
	return nil
}

// Recorded returns the names recording rules of the files define: dashboards may query
// them although no code exports them.
func Recorded(files []*rules.File) map[string]bool {
	m := map[string]bool{}
	for _, f := range files {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					m[r.Record] = true
				}
			}
		}
	}
	return m
}

var builtin = map[string]bool{"up": true, "ALERTS": true, "ALERTS_FOR_STATE": true, "scrape_duration_seconds": true,
	"scrape_samples_scraped": true, "scrape_samples_post_metric_relabeling": true, "scrape_series_added": true}

// Check returns the findings for one dashboard. Unknown metrics are reported only when
// the index holds an inventory (no Go code: nothing to compare against).
func Check(d *Dashboard, ix *metrics.Index, recorded map[string]bool) []checks.Finding {
	var out []checks.Finding
	if d.Problem != nil {
		return append(out, checks.Finding{Rule: "dashboard-invalid", File: d.Path, Line: d.Problem.Line,
			Message: "dashboard cannot be read: " + d.Problem.Msg, Key: "load"})
	}
	for _, q := range d.Queries {
		if q.Err != nil {
			out = append(out, checks.Finding{Rule: "dashboard-invalid", File: d.Path, Line: q.Line,
				Message:  fmt.Sprintf("%s: query does not parse: %v", q.Where, q.Err),
				Evidence: q.Raw, Key: q.Where + " " + q.Raw})
			continue
		}
		if ix.Len() == 0 {
			continue
		}
		seen := map[string]bool{}
		for _, s := range rules.Selectors(q.Parsed) {
			if s.Name == "" || seen[s.Name] || recorded[s.Name] || builtin[s.Name] || strings.Contains(s.Name, placeholder) {
				continue
			}
			seen[s.Name] = true
			if _, ok := ix.Lookup(s.Name); ok {
				continue
			}
			f := checks.Finding{Rule: "dashboard-unknown-metric", File: d.Path, Line: q.Line,
				Message:  fmt.Sprintf("%s queries %s, which the code does not export", q.Where, s.Name),
				Evidence: q.Raw, Key: q.Where + " " + s.Name}
			if sug := ix.Suggest(s.Name); sug != "" {
				f.Fix = "did you mean " + sug + "?"
			}
			if ix.MaybeUnresolved(s.Name) {
				f.Confidence = checks.ConfidenceLow
			}
			out = append(out, f)
		}
	}
	return out
}

func checkCopySet(ws *checks.Workspace, set []string) []checks.Finding {
	load := func(p string) (*Dashboard, error) {
		data, err := ws.ReadFile(p)
		if err != nil {
			return nil, err
		}
		return Load(p, data), nil
	}
	base, err := load(set[0])
	if err != nil {
		return []checks.Finding{{Rule: "rules-copy-drift", File: set[0], Line: 1,
			Message: fmt.Sprintf("rules.copies: %s cannot be read: %v", set[0], err), Key: "missing " + set[0]}}
	}
	var out []checks.Finding
	for _, p := range set[1:] {
		cp, err := load(p)
		if err != nil {
			out = append(out, checks.Finding{Rule: "rules-copy-drift", File: set[0], Line: 1,
				Message: fmt.Sprintf("rules.copies: copy %s of %s cannot be read: %v", p, set[0], err), Key: "missing " + p})
			continue
		}
		out = append(out, CompareCopies(base, cp)...)
	}
	return out
}
