package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamaudit/streamaudit/checks"
)

func TestLoadPrometheusRuleKeepsFileLines(t *testing.T) {
	src := `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: x
spec:
  groups:
  - name: g
    rules:
    - alert: Good
      expr: up == 0
      for: 5m
    - alert: Bad
      expr: sum(rate(x[5m])
`
	f := Load("crd.yaml", []byte(src))
	if f.Kind != KindPrometheusRule {
		t.Fatalf("kind %s", f.Kind)
	}
	if len(f.Groups) != 1 || len(f.Groups[0].Rules) != 2 {
		t.Fatalf("groups %+v", f.Groups)
	}
	if r := f.Groups[0].Rules[1]; r.Alert != "Bad" || r.Line != 12 || r.ExprLine != 13 {
		t.Errorf("rule Bad at line %d expr %d, want 12/13", r.Line, r.ExprLine)
	}
	if len(f.Problems) != 1 || f.Problems[0].Line != 13 || !strings.Contains(f.Problems[0].Msg, "could not parse expression") {
		t.Errorf("problems %v, want one parse error at line 13", f.Problems)
	}
}

func TestLoadListAndMultiDocCRDs(t *testing.T) {
	src := `apiVersion: v1
kind: List
items:
- apiVersion: monitoring.coreos.com/v1
  kind: PrometheusRule
  spec:
    groups:
    - name: a
      rules:
      - alert: A
        expr: up == 0
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
spec:
  groups:
  - name: b
    rules:
    - record: b:up
      expr: sum(up)
    - alert: B
      expr: b:up < 1
      annotations:
        d: "{{ $nope }}"
`
	f := Load("list.yaml", []byte(src))
	if len(f.Groups) != 2 {
		t.Fatalf("groups %+v problems %v", f.Groups, f.Problems)
	}
	if f.Groups[1].Rules[1].Line != 21 {
		t.Errorf("rule B at %d, want 21", f.Groups[1].Rules[1].Line)
	}
	if len(f.Problems) != 1 || f.Problems[0].Line != 21 || !strings.Contains(f.Problems[0].Msg, "undefined variable") {
		t.Errorf("problems %v, want a template error located at rule B (21)", f.Problems)
	}
}

func TestLoadConfigMapRules(t *testing.T) {
	src := `apiVersion: v1
kind: ConfigMap
metadata:
  name: rules
data:
  dashboard.json: |
    {"panels": []}
  alerts.yml: |
    groups:
      - name: cm
        rules:
          - alert: FromConfigMap
            expr: up ==
`
	f := Load("cm.yaml", []byte(src))
	if f.Kind != KindConfigMap || len(f.Groups) != 1 {
		t.Fatalf("kind %s groups %+v", f.Kind, f.Groups)
	}
	if r := f.Groups[0].Rules[0]; r.Line != 12 || r.Alert != "FromConfigMap" {
		t.Errorf("rule %+v, want FromConfigMap at line 12", r)
	}
	if len(f.Problems) != 1 || f.Problems[0].Line != 13 {
		t.Errorf("problems %v, want parse error at 13", f.Problems)
	}
}

func TestLoadGrafanaManaged(t *testing.T) {
	src := `apiVersion: 1
groups:
  - orgId: 1
    name: g
    folder: f
    rules:
      - uid: x
        title: HighLag
        for: 5m
        data:
          - refId: A
            datasourceUid: prom
            model:
              expr: max(app_kafka_consumer_lag) > 10
          - refId: B
            datasourceUid: __expr__
            model:
              expression: A
          - refId: C
            datasourceUid: prom
            model:
              expr: sum(rate(app_errors_total[5m]
`
	f := Load("grafana.yml", []byte(src))
	if f.Kind != KindGrafana || len(f.Groups) != 1 || len(f.Groups[0].Rules) != 2 {
		t.Fatalf("kind %s groups %+v", f.Kind, f.Groups)
	}
	if r := f.Groups[0].Rules[0]; r.Alert != "HighLag" || r.ExprLine != 14 || r.Parsed == nil {
		t.Errorf("rule %+v", r)
	}
	if len(f.Problems) != 1 || f.Problems[0].Line != 22 {
		t.Errorf("problems %v, want one at 22", f.Problems)
	}
}

func TestLoadNotRules(t *testing.T) {
	for name, src := range map[string]string{
		"values.yaml":     "replicaCount: 1\nimage: x\n",
		"deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template: {}\n",
		"helm-dep.yaml":   "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
	} {
		if f := Load(name, []byte(src)); f.Kind != KindOther || len(f.Problems) > 0 || f.Rendering != nil {
			t.Errorf("%s: kind %s problems %v rendering %v", name, f.Kind, f.Problems, f.Rendering)
		}
	}
}

func TestHelmDetection(t *testing.T) {
	cases := map[string]bool{
		"{{- /* comment */ -}}\ngroups: []\n":                                                                                                                                                true,
		"groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up{job=\"{{ $job }}\"} == 0\n":                                                                                                true,
		"groups:\n- name: g\n  rules:\n{{- if true }}\n  - alert: A\n    expr: up == 0\n{{- end }}\n":                                                                                        true,
		"groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    annotations:\n      s: '{{ $labels.instance }} {{ if gt $value 1.0 }}x{{ end }}'\n":                              false,
		"groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    annotations:\n      s: |\n        {{ with query \"up\" }}\n        {{ . | first | value }}\n        {{ end }}\n": false,
	}
	for src, want := range cases {
		if got := helmTemplate([]byte(src)) != nil; got != want {
			t.Errorf("helm=%v, want %v for:\n%s", got, want, src)
		}
	}
}

// Corpus facts of the acceptance: confluent's broker-alerts.yml is rejected like
// Prometheus rejects it; the kube-prometheus-stack template needs rendering.
func TestCorpusKnownFiles(t *testing.T) {
	dir := corporaDir(t)
	read := func(rel string) *File {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		return Load(rel, data)
	}
	broker := read("confluent/jmxexporter-prometheus-grafana/assets/prometheus/prometheus-alerts/broker-alerts.yml")
	if len(broker.Problems) == 0 {
		t.Errorf("broker-alerts.yml accepted; Prometheus rejects its {{ $label.instance }}")
	}
	for _, p := range broker.Problems {
		if p.Line == 0 || !strings.Contains(p.Msg, `undefined variable`) {
			t.Errorf("broker-alerts.yml problem %v", p)
		}
	}
	kps := read("helm/kube-state-metrics.yaml")
	if kps.Kind != KindHelm || kps.Rendering == nil || len(kps.Problems) > 0 {
		t.Errorf("kube-prometheus-stack template: kind %s problems %v", kps.Kind, kps.Problems)
	}
	lag := read("kafka-lag-exporter/070-PrometheusRule.yaml")
	if lag.Kind != KindHelm {
		t.Errorf("kafka-lag-exporter template: kind %s", lag.Kind)
	}
}

// The strimzi PrometheusRule files: a byte copy and a plain-rules rewrite of the same
// rules are in sync; a copy with one threshold edited is reported naming that alert.
func TestCorpusStrimziCopies(t *testing.T) {
	dir := corporaDir(t)
	src := "strimzi/packaging/examples/metrics/prometheus-install/prometheus-rules/prometheus-kafka-exporter-topic-rules-group.yaml"
	data, err := os.ReadFile(filepath.Join(dir, src))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	write := func(name string, b []byte) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("orig/rules.yaml", data)
	write("copy/rules.yaml", data)
	// plain rule file form: spec.groups dedented, everything else dropped
	i := strings.Index(string(data), "  groups:")
	var plain []string
	for _, l := range strings.Split(string(data)[i:], "\n") {
		plain = append(plain, strings.TrimPrefix(l, "  "))
	}
	write("plain/rules.yml", []byte(strings.Join(plain, "\n")))
	edited := strings.Replace(string(data), "kafka_consumergroup_lag > 1000", "kafka_consumergroup_lag > 5000", 1)
	if edited == string(data) {
		t.Fatal("edit did not apply: corpus file changed?")
	}
	write("edited/rules.yaml", []byte(edited))

	cfg := checks.DefaultConfig()
	cfg.Rules.Files = []string{"**/*.yaml", "**/*.yml"}
	cfg.Rules.Copies = [][]string{{"orig/rules.yaml", "copy/rules.yaml", "plain/rules.yml", "edited/rules.yaml"}}
	ws, err := checks.NewWorkspace(root, cfg)
	if err != nil {
		t.Fatal(err)
	}
	in, err := LoadWorkspace(ws, nil)
	if err != nil {
		t.Fatal(err)
	}
	var drift []checks.Finding
	for _, f := range Run(in) {
		if f.Rule == "rules-copy-drift" {
			drift = append(drift, f)
		}
	}
	if len(drift) != 1 {
		t.Fatalf("want exactly one drift finding (the edited copy), got %v", drift)
	}
	d := drift[0]
	if d.File != "edited/rules.yaml" || !strings.Contains(d.Message, "alert TooLargeConsumerGroupLag differs") || !strings.Contains(d.Message, "> 5000") {
		t.Errorf("drift finding %s:%d %s", d.File, d.Line, d.Message)
	}
	if d.Line != 20 {
		t.Errorf("drift reported at line %d, want the alert's line 20", d.Line)
	}
}
