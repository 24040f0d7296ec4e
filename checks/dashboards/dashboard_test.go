package dashboards

import (
	"strings"
	"testing"

	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/checks/metrics"
)

var inv = metrics.NewIndex([]checks.Metric{
	{Name: "app_messages_total", Type: "counter", Labels: []string{"status"}, Resolved: true},
	{Name: "app_lag", Type: "gauge", Labels: []string{"topic"}, Resolved: true},
	{Name: "app_poll_seconds", Type: "histogram", Resolved: true},
})

const templating = `"templating": {"list": [
  {"name": "datasource", "type": "datasource", "query": "prometheus"},
  {"name": "logs", "type": "datasource", "query": "loki"},
  {"name": "topic", "type": "query", "datasource": {"type": "prometheus", "uid": "$datasource"}, "query": {"query": "label_values(%s, topic)"}},
  {"name": "n", "type": "custom", "current": {"value": "5"}}
]}`

func dash(panels, tmplMetric string) string {
	return `{"title": "t", "panels": [` + panels + `], ` + strings.Replace(templating, "%s", tmplMetric, 1) + `}`
}

func target(expr string) string {
	b, _ := jsonString(expr)
	return `{"refId": "A", "expr": ` + b + `}`
}

func jsonString(s string) (string, error) {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

func TestDashboardChecks(t *testing.T) {
	cases := []struct {
		name, rule, json string
		want             []string // substrings; empty: no finding of rule
		wantLine         int
	}{
		{"known metrics with rate_interval and vars", "dashboard-unknown-metric",
			dash(`{"title": "p", "datasource": {"type": "prometheus", "uid": "$datasource"}, "targets": [`+
				target(`sum by (status) (rate(app_messages_total{topic=~"$topic"}[$__rate_interval]))`)+`,`+
				target(`topk($n, app_lag) or histogram_quantile(0.9, rate(app_poll_seconds_bucket[$__interval]))`)+`]}`, "app_lag"),
			nil, 0},
		{"unknown metric in a panel", "dashboard-unknown-metric",
			dash(`{"title": "p",
 "targets": [`+target(`rate(app_mesages_total[5m])`)+`]}`, "app_lag"),
			[]string{`panel "p" target A queries app_mesages_total`}, 2},
		{"nested row panels", "dashboard-unknown-metric",
			dash(`{"type": "row", "collapsed": true, "panels": [{"title": "inner", "targets": [`+target(`app_gone`)+`]}]}`, "app_lag"),
			[]string{`panel "inner" target A queries app_gone`}, 1},
		{"legacy rows", "dashboard-unknown-metric",
			`{"rows": [{"panels": [{"title": "old", "targets": [` + target(`old_metric`) + `]}]}]}`,
			[]string{`panel "old" target A queries old_metric`}, 1},
		{"templating query", "dashboard-unknown-metric",
			dash(``, "missing_metric"),
			[]string{`variable topic queries missing_metric`}, 4},
		{"non-Prometheus data sources skipped", "dashboard-unknown-metric",
			dash(`{"title": "logs", "datasource": {"type": "loki", "uid": "x"}, "targets": [`+target(`{app="x"} |= "error"`)+`]},
{"title": "logs2", "datasource": "$logs", "targets": [`+target(`count_over_time({app="x"}[5m])`)+`]},
{"title": "mixed", "datasource": {"type": "prometheus"}, "targets": [{"refId": "B", "datasource": {"type": "elasticsearch"}, "expr": "x:y"}]}`, "app_lag"),
			nil, 0},
		{"query does not parse", "dashboard-invalid",
			dash(`{"title": "bad", "targets": [`+target(`sum(rate(app_lag[5m])`)+`]}`, "app_lag"),
			[]string{`panel "bad" target A: query does not parse`}, 1},
		{"broken JSON", "dashboard-invalid", "{\n\"panels\": [\n}\n", []string{"dashboard cannot be read"}, 3},
		{"valid dashboard is valid", "dashboard-invalid", dash(`{"title": "p", "targets": [`+target(`app_lag`)+`]}`, "app_lag"), nil, 0},
	}
	for _, c := range cases {
		t.Run(c.rule+"/"+c.name, func(t *testing.T) {
			d := Load("d.json", []byte(c.json))
			var got []checks.Finding
			for _, f := range Check(d, inv, map[string]bool{}) {
				if f.Rule == c.rule {
					got = append(got, f)
				}
			}
			if len(got) != len(c.want) {
				for _, f := range got {
					t.Logf("got %s:%d %s", f.File, f.Line, f.Message)
				}
				t.Fatalf("got %d findings, want %d", len(got), len(c.want))
			}
			for i, w := range c.want {
				if !strings.Contains(got[i].Message, w) {
					t.Errorf("%q does not contain %q", got[i].Message, w)
				}
				if got[i].Line != c.wantLine {
					t.Errorf("line %d, want %d", got[i].Line, c.wantLine)
				}
			}
		})
	}
}

func TestNoInventoryNoUnknownMetrics(t *testing.T) {
	d := Load("d.json", []byte(dash(`{"title": "p", "targets": [`+target(`anything_at_all`)+`]}`, "app_lag")))
	if fs := Check(d, metrics.NewIndex(nil), nil); len(fs) != 0 {
		t.Errorf("findings without an inventory: %v", fs)
	}
}

func TestSubstitute(t *testing.T) {
	vars := map[string]variable{"n": {typ: "custom", value: "5"}, "iv": {typ: "interval"}}
	for in, want := range map[string]string{
		`rate(x[$__rate_interval])`:            `rate(x[5m])`,
		`rate(x{a="$v",b=~"${w:regex}"}[$iv])`: `rate(x{a="x",b=~"x"}[5m])`,
		`topk($n, x)`:                          `topk(5, x)`,
		`sum by ($group) (x)`:                  `sum by (__grafana_var__) (x)`,
		`increase(x[$__range]) / $__range_s`:   `increase(x[5m]) / 300`,
		`x{a="[[old]]"} offset ${__interval}`:  `x{a="x"} offset 5m`,
	} {
		if got, _ := Substitute(in, vars); got != want {
			t.Errorf("Substitute(%s) = %s, want %s", in, got, want)
		}
	}
}
