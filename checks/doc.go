package checks

import (
	"fmt"
	"strings"
)

// areaTitles names the catalogue's areas in docs/CHECKS.md, in order.
var areaTitles = []struct{ area, title, intro string }{
	{"lint", "Go code (`verify lint`, also `kafkavet`)", "go/analysis analyzers over the packages of `go.packages`, loaded once per run."},
	{"rules", "Prometheus rules and metric names (`verify rules`)", "Rule files of `rules.files`, compared with the metrics the Go code exports."},
	{"dashboards", "Dashboards (`verify rules`)", "Grafana dashboards of `dashboards`, compared with the metrics the Go code exports."},
	{"drift", "Environment, docs and deploy drift (`verify drift`)", "Variables read by each binary, against `env.docs`, `env.deploy` and `env.scripts`."},
	{"claims", "Tracking claims (`verify claims`)", "Items marked complete in `claims.docs`, verified by running their linked checks."},
	{"soak", "Soak (`verify soak`)", "Outcomes of the container soak tests (Docker): memory, lag gauges, data loss, alerts."},
	{"tool", "Tool", "Problems with the configuration, the Go load or suppressions."},
}

// ChecksDoc renders docs/CHECKS.md from the catalogue (Rules): one section per rule with
// its severity, priority, what it finds, why and how to fix it, and its acceptance
// criterion. SARIF help links point at these sections.
func ChecksDoc() string {
	var b strings.Builder
	b.WriteString("# streamaudit checks\n\n")
	b.WriteString("<!-- Generated from the rule catalogue (checks/rules.go) by `make docs`; do not edit. -->\n\n")
	b.WriteString("Every finding names one of these rules. Severities are defaults: override them per rule with\n")
	b.WriteString("`severity:` in `.streamaudit.yaml` (`error`, `warning`, `info` or `off`). `verify -fail-on` decides\n")
	b.WriteString("which severity fails the run (exit code 1).\n\n")
	b.WriteString("Suppress one finding with a comment on its line or the line above, naming the rule and a reason:\n\n")
	b.WriteString("```go\n//streamaudit:ignore kafka-security test helper, never deployed\ncl, err := kgo.NewClient(kgo.SeedBrokers(addr))\n```\n\n")
	b.WriteString("(`# streamaudit:ignore RULE reason` in YAML and shell, `<!-- streamaudit:ignore RULE reason -->` in\n")
	b.WriteString("Markdown.) Suppressions are listed in every report; a directive without a known rule or a reason is\n")
	b.WriteString("itself a `suppression-invalid` finding.\n\n")
	b.WriteString("| Rule | Severity | Priority | Finds |\n|---|---|---|---|\n")
	rules := Rules()
	for _, r := range rules {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s |\n", r.ID, r.ID, r.Severity, r.Priority, r.Title)
	}
	for _, a := range areaTitles {
		var mine []Rule
		for _, r := range rules {
			if r.Area == a.area {
				mine = append(mine, r)
			}
		}
		if len(mine) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", a.title, a.intro)
		for _, r := range mine {
			fmt.Fprintf(&b, "\n### %s\n\n", r.ID)
			fmt.Fprintf(&b, "**%s.** Severity `%s`, priority %s.\n\n", r.Title, r.Severity, r.Priority)
			if r.Help != "" {
				b.WriteString(r.Help + "\n\n")
			}
			if r.Acceptance != "" {
				fmt.Fprintf(&b, "Acceptance: %s\n", r.Acceptance)
			}
		}
	}
	return strings.ReplaceAll(b.String(), "\n\n\n", "\n\n")
}
