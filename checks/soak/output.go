package soak

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/streamaudit/streamaudit/checks"
)

// Figures is the figures JSON: every scenario's measurements and the options that
// produced them.
type Figures struct {
	Tool    string    `json:"tool"`
	Version string    `json:"version"`
	Options FigOpts   `json:"options"`
	Results []*Result `json:"results"`
}

// FigOpts are the options recorded in the figures JSON.
type FigOpts struct {
	DurationSeconds   float64      `json:"duration_seconds"`
	Rate              int          `json:"rate"`
	RecordSize        int          `json:"record_size"`
	Partitions        int          `json:"partitions"`
	MemoryLimitBytes  int64        `json:"memory_limit_bytes"`
	LagRefreshSeconds float64      `json:"lag_refresh_seconds"`
	SlowDelaySeconds  float64      `json:"slow_delay_seconds"`
	ExternalBrokers   bool         `json:"external_brokers"`
	Limits            MemoryLimits `json:"limits"`
}

// WritePlots renders the PNGs of one result into dir and records their names.
func WritePlots(dir string, res *Result, lim MemoryLimits) error {
	base := res.Target + "-" + res.Scenario
	if len(res.Memory) > 0 {
		name := "memory-" + base + ".png"
		title := fmt.Sprintf("%s, %s: member memory (RSS from container stats, Go heap in use from /metrics)", res.Target, res.Scenario)
		if err := PlotLines(filepath.Join(dir, name), title, "MiB", res.Memory, res.Markers, 1<<20, lim.PeakBytes/(1<<20)); err != nil {
			return err
		}
		res.Plots = append(res.Plots, name)
	}
	if len(res.Lag) > 0 {
		name := "lag-" + base + ".png"
		title := fmt.Sprintf("%s, %s: websocket_kafka_consumer_lag per member and partition", res.Target, res.Scenario)
		if err := PlotLines(filepath.Join(dir, name), title, "records", res.Lag, res.Markers, 1, 0); err != nil {
			return err
		}
		res.Plots = append(res.Plots, name)
	}
	if len(res.Progress) > 0 && (res.Loss != nil || len(res.Restarts) > 0) {
		name := "progress-" + base + ".png"
		title := fmt.Sprintf("%s, %s: records consumed by the members (websocket_kafka_messages_total); flat = not consuming", res.Target, res.Scenario)
		if err := PlotLines(filepath.Join(dir, name), title, "records", []Line{{Name: "consumed", Points: res.Progress}}, res.Markers, 1, 0); err != nil {
			return err
		}
		res.Plots = append(res.Plots, name)
	}
	return nil
}

// WriteOutputs writes figures.json, report.json (the verify report format) and
// report.md into dir and returns every finding.
func WriteOutputs(dir string, o Options, results []*Result) ([]checks.Finding, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var all []checks.Finding
	var errs []string
	for _, r := range results {
		all = append(all, r.Findings...)
		if r.Error != "" {
			errs = append(errs, fmt.Sprintf("%s/%s: %s", r.Target, r.Scenario, r.Error))
		}
	}
	all = checks.FinishFindings(all)
	fig := Figures{Tool: "streamaudit", Version: checks.Version, Results: results, Options: FigOpts{
		DurationSeconds: o.Duration.Seconds(), Rate: o.Rate, RecordSize: o.RecordSize, Partitions: o.Partitions,
		MemoryLimitBytes: o.MemoryLimit, LagRefreshSeconds: o.LagRefresh.Seconds(), SlowDelaySeconds: o.SlowDelay.Seconds(),
		ExternalBrokers: o.Brokers != "", Limits: o.Limits,
	}}
	if err := writeJSON(filepath.Join(dir, "figures.json"), fig); err != nil {
		return nil, err
	}
	rep := checks.Report{Tool: "streamaudit", Version: checks.Version, Root: ".", Findings: all,
		Summary: checks.Summarize(all), Errors: errs}
	if rep.Findings == nil {
		rep.Findings = []checks.Finding{}
	}
	if err := writeJSON(filepath.Join(dir, "report.json"), rep); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(Markdown(fig, all, errs)), 0o644); err != nil {
		return nil, err
	}
	return all, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Markdown renders the soak report: one section per target and scenario with the
// verdicts, the ownership checks, the alerts and the plots.
func Markdown(fig Figures, all []checks.Finding, errs []string) string {
	var b strings.Builder
	o := fig.Options
	fmt.Fprintf(&b, "# Soak report\n\n")
	fmt.Fprintf(&b, "Each scenario ran %.0f s at %d records/s of %d B on %d partitions; members limited to %s. "+
		"Memory bound: peak under %s; after %.0f s warm-up, sustained growth fails the run: the least-squares slope of the "+
		"window minima (windows of at least %.0f s, a quarter of the measured span up to a minute) over %s/s, fitted growth over %s, "+
		"and the last third's floor above the first third's peak. Ownership is checked %.0f s (one lag refresh) after each rebalance settles; "+
		"the rebalance scenario produces at a fifth of the rate so consumers keep up and any firing lag alert is a false page.\n\n",
		o.DurationSeconds, o.Rate, o.RecordSize, o.Partitions, mib(float64(o.MemoryLimitBytes)),
		mib(o.Limits.PeakBytes), o.Limits.WarmupSeconds, o.Limits.WindowSeconds, kib(o.Limits.SlopeBytesPerSecond),
		mib(o.Limits.MinGrowthBytes), o.LagRefreshSeconds)
	fmt.Fprintf(&b, "| target | scenario | memory | stale series | lag alerts | consumed | verdict |\n|---|---|---|---|---|---|---|\n")
	for _, r := range fig.Results {
		memv := "n/a"
		var parts []string
		for _, v := range r.MemoryVerdicts {
			parts = append(parts, fmt.Sprintf("%s %s: peak %s, slope %s/s", v.Member, v.Metric, mib(v.PeakBytes), kib(v.Fit.Slope)))
		}
		if len(parts) > 0 {
			memv = strings.Join(parts, "<br>")
		}
		stale, checksN := 0, len(r.Ownership)
		for _, c := range r.Ownership {
			stale += len(c.Stale)
		}
		staleS := "n/a"
		if checksN > 0 {
			staleS = fmt.Sprintf("%d in %d checks", stale, checksN)
		}
		verdict := "pass"
		if len(r.Findings) > 0 {
			var rules []string
			for _, f := range r.Findings {
				rules = append(rules, f.Rule)
			}
			verdict = "**FAIL**: " + strings.Join(rules, ", ")
		}
		if r.Error != "" {
			verdict += " (error: " + firstLine(r.Error) + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %.0f | %s |\n", r.Target, r.Scenario, memv, staleS, len(r.Alerts), r.Consumed, verdict)
	}
	if len(all) > 0 {
		fmt.Fprintf(&b, "\n## Findings\n\n")
		for _, f := range all {
			fmt.Fprintf(&b, "- **%s** (%s) `%s`: %s  \n  evidence: %s\n", f.Rule, f.Severity, f.File, f.Message, f.Evidence)
		}
	}
	for _, r := range fig.Results {
		fmt.Fprintf(&b, "\n## %s / %s\n\n", r.Target, r.Scenario)
		for _, v := range r.MemoryVerdicts {
			fmt.Fprintf(&b, "- memory %s %s: %s (%d samples)\n", v.Member, v.Metric, v.Reason, v.Samples)
		}
		for _, c := range r.Ownership {
			fmt.Fprintf(&b, "- t=%.0fs after %s: %s owns %v, exports lag for %v", c.T, c.Event, c.Member, c.Owned, c.Exported)
			if len(c.Stale) > 0 {
				fmt.Fprintf(&b, " — **stale %v**", c.Stale)
			}
			b.WriteString("\n")
		}
		for _, a := range r.Alerts {
			fmt.Fprintf(&b, "- t=%.0fs alert %s %s (%s) %v\n", a.T, a.Name, a.State, a.File, a.Labels)
		}
		for i, rs := range r.Restarts {
			rec := fmt.Sprintf("consuming again %.1f s later", rs.RecoverySeconds)
			if rs.RecoverySeconds < 0 {
				rec = "**not consuming a minute later**"
			}
			how := fmt.Sprintf("SIGTERM, %.0f s grace", rs.GraceSeconds)
			if rs.GraceSeconds == 0 {
				how = "SIGKILL: a crash"
			}
			fmt.Fprintf(&b, "- broker restart #%d: stopped at t=%.0fs (%s), back at t=%.0fs (%.1f s down), restored its data: %t; %s\n",
				i+1, rs.StoppedAt, how, rs.BackAt, rs.BackAt-rs.StoppedAt, rs.Restored, rec)
		}
		if l := r.Loss; l != nil {
			fmt.Fprintf(&b, "- records: produced %d, processed %d, in the DLQ %d, lost %d, never processed %d, acknowledged but not in the topic %d, duplicates %d, redelivered %d\n",
				l.Produced, l.Processed, l.DLQ, l.Missing, l.Unprocessed, l.AckedLost, l.Duplicates, l.Redelivered)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- note: %s\n", n)
		}
		for _, p := range r.Plots {
			fmt.Fprintf(&b, "\n![%s](%s)\n", p, p)
		}
	}
	if len(errs) > 0 {
		fmt.Fprintf(&b, "\n## Errors\n\n")
		for _, e := range errs {
			fmt.Fprintf(&b, "- %s\n", firstLine(e))
		}
	}
	return b.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
