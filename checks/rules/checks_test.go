package rules

import (
	"strings"
	"testing"

	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/checks/metrics"
)

// inventory used by the table tests: what a small service exports.
var testInventory = []checks.Metric{
	{Name: "app_errors_total", Type: "counter", Labels: []string{"type"}, File: "main.go", Line: 10, Resolved: true},
	{Name: "app_infrastructure_errors_total", Type: "counter", Labels: []string{"type"}, File: "main.go", Line: 11, Resolved: true},
	{Name: "app_queue_depth", Type: "gauge", Labels: []string{"queue"}, File: "main.go", Line: 12, Resolved: true},
	{Name: "app_kafka_consumer_lag", Type: "gauge", Labels: []string{"partition", "topic"}, File: "lag.go", Line: 5, Resolved: true},
	{Name: "app_request_duration_seconds", Type: "histogram", Labels: []string{"route"}, File: "http.go", Line: 3, Resolved: true},
}

type fileSpec struct{ path, text string }

type checkCase struct {
	name   string
	rule   string
	files  []fileSpec
	cfg    checks.RulesConfig
	inv    []checks.Metric // nil: testInventory; use empty slice for "no Go code"
	want   []string        // substrings, one finding each; empty: no finding of rule
	wantAt []string        // optional "file:line" of each wanted finding
}

const goodRules = `groups:
  - name: app
    rules:
      - alert: AppErrors
        expr: sum(rate(app_errors_total[5m])) > 1
        for: 5m
`

var checkCases = []checkCase{
	{name: "invalid expr", rule: "rules-invalid",
		files: []fileSpec{{"r.yml", "groups:\n  - name: g\n    rules:\n      - alert: Bad\n        expr: sum(rate(app_errors_total[5m]) > 1\n"}},
		want:  []string{"could not parse expression"}, wantAt: []string{"r.yml:5"}},
	{name: "invalid template like confluent", rule: "rules-invalid",
		files: []fileSpec{{"r.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: app_queue_depth > 1\n        annotations:\n          d: '{{ $label.instance }}'\n"}},
		want:  []string{`undefined variable "$label"`}, wantAt: []string{"r.yml:4"}},
	{name: "valid file", rule: "rules-invalid", files: []fileSpec{{"r.yml", goodRules}}},
	{name: "helm template", rule: "rules-needs-rendering",
		files: []fileSpec{{"t.yaml", "{{- if .Values.rules }}\ngroups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up{job=\"{{ .Release.Name }}\"} == 0\n{{- end }}\n"}},
		want:  []string{"Helm template"}},
	{name: "annotation templates are not helm", rule: "rules-needs-rendering",
		files: []fileSpec{{"r.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: app_queue_depth > 1\n        annotations:\n          d: |\n            {{ range query \"up\" }}{{ .Labels.instance }}{{ end }}\n            {{ $labels.queue }} is deep\n"}}},
	{name: "required missing", rule: "rules-required-alert", files: []fileSpec{{"r.yml", goodRules}},
		cfg:  checks.RulesConfig{RequiredAlerts: []checks.RequiredAlert{{Alert: "AppInfraErrorsHigh", Uses: []string{"app_infrastructure_errors_total"}}}},
		want: []string{"required alert AppInfraErrorsHigh is missing"}},
	{name: "required present but wrong metric", rule: "rules-required-alert", files: []fileSpec{{"r.yml", goodRules}},
		cfg:  checks.RulesConfig{RequiredAlerts: []checks.RequiredAlert{{Alert: "AppErrors", Uses: []string{"app_infrastructure_errors_total"}}}},
		want: []string{"does not use app_infrastructure_errors_total"}, wantAt: []string{"r.yml:5"}},
	{name: "required satisfied", rule: "rules-required-alert", files: []fileSpec{{"r.yml", goodRules}},
		cfg: checks.RulesConfig{RequiredAlerts: []checks.RequiredAlert{{Alert: "AppErrors", Uses: []string{"app_errors_total"}}}}},
	{name: "unknown metric", rule: "rules-unknown-metric",
		files: []fileSpec{{"r.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: |\n          sum(rate(app_errors_total[5m]))\n            / sum(rate(app_eror_total[5m])) > 1\n"}},
		want:  []string{"app_eror_total"}, wantAt: []string{"r.yml:7"}},
	{name: "histogram series and recording rules are known", rule: "rules-unknown-metric",
		files: []fileSpec{{"r.yml", "groups:\n  - name: g\n    rules:\n      - record: route:latency:p99\n        expr: histogram_quantile(0.99, sum by (le) (rate(app_request_duration_seconds_bucket[5m])))\n      - alert: Slow\n        expr: route:latency:p99 > 1 and app_request_duration_seconds_count > 0 and up == 1\n"}}},
	{name: "no inventory, no unknown-metric flood", rule: "rules-unknown-metric", inv: []checks.Metric{},
		files: []fileSpec{{"r.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: whatever_metric > 1\n"}}},
	{name: "unresolved names lower confidence", rule: "rules-unknown-metric",
		inv:   append([]checks.Metric{{Name: "app_<name>", Type: "counter", Resolved: false}}, testInventory...),
		files: []fileSpec{{"r.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: app_dynamic_total > 1\n"}},
		want:  []string{"could not be resolved"}},
	{name: "rate on gauge", rule: "rules-counter-func",
		files: []fileSpec{{"r.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(app_queue_depth[5m]) > 1\n"}},
		want:  []string{"rate to app_queue_depth, a gauge"}},
	{name: "delta on counter", rule: "rules-counter-func",
		files: []fileSpec{{"r.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: delta(app_errors_total[5m]) > 1\n"}},
		want:  []string{"delta to app_errors_total, a counter"}},
	{name: "suffix heuristic when type unknown", rule: "rules-counter-func", inv: []checks.Metric{},
		files: []fileSpec{{"r.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: deriv(foo_requests_total[5m]) > 1\n"}},
		want:  []string{"named like a counter"}},
	{name: "rate on counter and deriv on gauge are fine", rule: "rules-counter-func",
		files: []fileSpec{{"r.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(app_errors_total[5m]) > 1 or deriv(app_queue_depth[5m]) > 0 or rate(app_request_duration_seconds_count[5m]) > 0\n"}}},
	{name: "comment names metric without alert", rule: "rules-unalerted",
		files: []fileSpec{{"r.yml", "groups:\n  - name: g\n    rules:\n      # app_infrastructure_errors_total counts infra failures\n      - alert: AppErrors\n        expr: sum(rate(app_errors_total[5m])) > 1\n"}},
		cfg:   checks.RulesConfig{MustAlert: []string{"*_infrastructure_errors_total"}},
		want:  []string{"a comment names app_infrastructure_errors_total"}, wantAt: []string{"r.yml:4"}},
	{name: "must_alert from the inventory", rule: "rules-unalerted", files: []fileSpec{{"r.yml", goodRules}},
		cfg:  checks.RulesConfig{MustAlert: []string{"*_infrastructure_errors_total"}},
		want: []string{"app_infrastructure_errors_total matches rules.must_alert"}, wantAt: []string{"main.go:11"}},
	{name: "alerted through a recording rule", rule: "rules-unalerted",
		files: []fileSpec{{"r.yml", "groups:\n  - name: g\n    rules:\n      # app_infrastructure_errors_total\n      - record: infra:rate5m\n        expr: sum(rate(app_infrastructure_errors_total[5m]))\n      - alert: Infra\n        expr: infra:rate5m > 0.1\n        for: 5m\n"}},
		cfg:   checks.RulesConfig{MustAlert: []string{"*_infrastructure_errors_total"}}},
	{name: "copy drift", rule: "rules-copy-drift",
		files: []fileSpec{{"a.yml", goodRules}, {"b.yml", strings.Replace(goodRules, "> 1", "> 2", 1)}},
		cfg:   checks.RulesConfig{Copies: [][]string{{"a.yml", "b.yml"}}},
		want:  []string{`alert AppErrors differs from a.yml:4: expr "sum(rate(app_errors_total[5m])) > 1" vs "sum(rate(app_errors_total[5m])) > 2"`}, wantAt: []string{"b.yml:4"}},
	{name: "copy formatted differently is in sync", rule: "rules-copy-drift",
		files: []fileSpec{{"a.yml", goodRules}, {"b.yml", "groups:\n- name: app\n  rules:\n  - alert: AppErrors\n    expr: |\n      sum( rate( app_errors_total[5m] ) )\n        > 1\n    for: 300s\n"}},
		cfg:   checks.RulesConfig{Copies: [][]string{{"a.yml", "b.yml"}}}},
	{name: "copy in another group with a re-folded annotation", rule: "rules-copy-drift",
		files: []fileSpec{{"a.yml", goodRules + "        annotations:\n          summary: >-\n            many\n            errors\n"}, {"b.yml", strings.Replace(goodRules, "name: app", "name: other", 1) + "        annotations:\n          summary: many errors\n"}},
		cfg:   checks.RulesConfig{Copies: [][]string{{"a.yml", "b.yml"}}},
		want:  []string{`alert AppErrors differs from a.yml:4: group "app" vs "other"`}},
	{name: "re-folded annotation is in sync", rule: "rules-copy-drift",
		files: []fileSpec{{"a.yml", goodRules + "        annotations:\n          summary: >-\n            many\n            errors\n"}, {"b.yml", goodRules + "        annotations:\n          summary: |\n            many\n            errors\n"}},
		cfg:   checks.RulesConfig{Copies: [][]string{{"a.yml", "b.yml"}}}},
	{name: "copy missing an alert", rule: "rules-copy-drift",
		files: []fileSpec{{"a.yml", goodRules + "      - alert: Second\n        expr: app_queue_depth > 10\n"}, {"b.yml", goodRules}},
		cfg:   checks.RulesConfig{Copies: [][]string{{"a.yml", "b.yml"}}},
		want:  []string{"alert Second of a.yml:7 is missing from the copy b.yml"}},
	{name: "unknown label", rule: "rules-unknown-label",
		files: []fileSpec{{"r.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: app_errors_total{kind=\"x\"} > 1\n"}},
		want:  []string{`matches label "kind" on app_errors_total`}},
	{name: "known, target and empty-matching labels", rule: "rules-unknown-label",
		files: []fileSpec{{"r.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: app_errors_total{type=\"x\",job=\"j\",kind=\"\"} > 1 or app_request_duration_seconds_bucket{le=\"1\"} > 0\n"}}},
	{name: "duplicate alert", rule: "rules-duplicate-alert",
		files: []fileSpec{{"r.yml", goodRules + "  - name: other\n    rules:\n      - alert: AppErrors\n        expr: app_errors_total > 5\n"}},
		want:  []string{"alert AppErrors is defined again"}, wantAt: []string{"r.yml:9"}},
	{name: "unlisted copy folds into one finding", rule: "rules-duplicate-alert",
		files: []fileSpec{{"a.yml", goodRules + "      - alert: Second\n        expr: app_queue_depth > 10\n"}, {"b.yml", goodRules + "      - alert: Second\n        expr: app_queue_depth > 10\n"}},
		want:  []string{"every alert of b.yml (AppErrors, Second) is also defined in a.yml"}, wantAt: []string{"b.yml:4"}},
	{name: "listed copies are not duplicates", rule: "rules-duplicate-alert",
		files: []fileSpec{{"a.yml", goodRules}, {"b.yml", goodRules}},
		cfg:   checks.RulesConfig{Copies: [][]string{{"a.yml", "b.yml"}}}},
	{name: "same name, different severity", rule: "rules-duplicate-alert",
		files: []fileSpec{{"r.yml", goodRules + "        labels:\n          severity: warning\n      - alert: AppErrors\n        expr: sum(rate(app_errors_total[5m])) > 10\n        labels:\n          severity: critical\n"}}},
	{name: "lag alert without for", rule: "rules-missing-for",
		files: []fileSpec{{"r.yml", "groups:\n  - name: g\n    rules:\n      - alert: ConsumerBehind\n        expr: max(app_kafka_consumer_lag) > 1000\n"}},
		want:  []string{"lag alert ConsumerBehind has no `for`"}},
	{name: "lag only as a word", rule: "rules-missing-for",
		files: []fileSpec{{"r.yml", "groups:\n  - name: g\n    rules:\n      - alert: ConsulAgentUnhealthy\n        expr: app_queue_depth > 1\n      - alert: Flagged\n        expr: app_queue_depth > 2\n"}}},
	{name: "lag alert with for", rule: "rules-missing-for",
		files: []fileSpec{{"r.yml", "groups:\n  - name: g\n    rules:\n      - alert: KafkaLagHigh\n        expr: max(app_kafka_consumer_lag) > 1000\n        for: 10m\n"}}},
}

func runCase(t *testing.T, c checkCase, mutate func(string) string) []checks.Finding {
	t.Helper()
	inv := c.inv
	if inv == nil {
		inv = testInventory
	}
	in := &Input{Index: metrics.NewIndex(inv), Config: c.cfg}
	for _, f := range c.files {
		text := f.text
		if mutate != nil {
			text = mutate(text)
		}
		in.Files = append(in.Files, Load(f.path, []byte(text)))
	}
	var out []checks.Finding
	for _, f := range Run(in) {
		if f.Rule == c.rule {
			out = append(out, f)
		}
	}
	return out
}

func TestChecks(t *testing.T) {
	for _, c := range checkCases {
		t.Run(c.rule+"/"+c.name, func(t *testing.T) {
			got := runCase(t, c, nil)
			if len(c.want) == 0 {
				for _, f := range got {
					t.Errorf("unexpected %s:%d: %s", f.File, f.Line, f.Message)
				}
				return
			}
			if len(got) != len(c.want) {
				for _, f := range got {
					t.Logf("got %s:%d: %s", f.File, f.Line, f.Message)
				}
				t.Fatalf("got %d findings, want %d", len(got), len(c.want))
			}
			for i, w := range c.want {
				if !strings.Contains(got[i].Message, w) {
					t.Errorf("finding %d: %q does not contain %q", i, got[i].Message, w)
				}
				if i < len(c.wantAt) {
					if at := got[i].Position().String(); at != c.wantAt[i] {
						t.Errorf("finding %d at %s, want %s", i, at, c.wantAt[i])
					}
				}
			}
		})
	}
}

// Every case also runs against broken variants of its input: nothing may panic, and a
// file whose YAML breaks is reported with a line.
func TestChecksBrokenInput(t *testing.T) {
	mutations := map[string]func(string) string{
		"truncated":   func(s string) string { return s[:len(s)/2] },
		"tabs":        func(s string) string { return strings.ReplaceAll(s, "  ", "\t") },
		"no-newlines": func(s string) string { return strings.ReplaceAll(s, "\n", " ") },
		"doubled":     func(s string) string { return s + "\n---\n" + s },
		"unbalanced":  func(s string) string { return strings.ReplaceAll(s, ")", "") },
	}
	for _, c := range checkCases {
		for name, m := range mutations {
			for _, f := range runCase(t, c, m) {
				if strings.Contains(f.Message, "internal error") {
					t.Errorf("%s/%s: %s", c.name, name, f.Message)
				}
			}
		}
	}
}
