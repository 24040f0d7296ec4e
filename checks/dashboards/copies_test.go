package dashboards

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamaudit/streamaudit/checks"
)

// The strimzi dashboards are copied four times in the corpus: every copy is in sync
// with the first, and a copy with one edited query (written to a temp dir and run
// through the stage with rules.copies) is reported naming that panel.
func TestCorpusStrimziDashboardCopies(t *testing.T) {
	dir := corporaDir(t)
	for _, name := range []string{"strimzi-kafka.json", "strimzi-kafka-exporter.json", "strimzi-operators.json"} {
		paths := []string{
			"strimzi/examples/metrics/grafana-dashboards/" + name,
			"strimzi/packaging/examples/metrics/grafana-dashboards/" + name,
			"strimzi/helm-charts/helm3/strimzi-kafka-operator/files/grafana-dashboards/" + name,
			"strimzi/packaging/helm-charts/helm3/strimzi-kafka-operator/files/grafana-dashboards/" + name,
		}
		var ds []*Dashboard
		for _, p := range paths {
			data, err := os.ReadFile(filepath.Join(dir, p))
			if err != nil {
				t.Fatal(err)
			}
			ds = append(ds, Load(p, data))
		}
		if len(ds[0].Queries) == 0 {
			t.Fatalf("%s: no queries", name)
		}
		for _, d := range ds[1:] {
			for _, f := range CompareCopies(ds[0], d) {
				t.Errorf("%s:%d: %s", f.File, f.Line, f.Message)
			}
		}
	}

	src := filepath.Join(dir, "strimzi/examples/metrics/grafana-dashboards/strimzi-kafka-exporter.json")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	orig := Load("x", data)
	var victim Query
	for _, q := range orig.Queries {
		if strings.Contains(q.Where, "panel") && strings.Contains(q.Raw, "kafka_consumergroup_lag") {
			victim = q
			break
		}
	}
	if victim.Raw == "" {
		t.Fatal("no consumer-group lag query in the exporter dashboard")
	}
	edited := strings.Replace(string(data), "kafka_consumergroup_lag", "kafka_consumergroup_lagsum", 1)
	root := t.TempDir()
	for p, b := range map[string]string{"orig/d.json": string(data), "copy/d.json": edited} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := checks.DefaultConfig()
	cfg.Dashboards = []string{"**/*.json"}
	cfg.Rules.Files = []string{"none"}
	cfg.Rules.Copies = [][]string{{"orig/d.json", "copy/d.json"}}
	ws, err := checks.NewWorkspace(root, cfg)
	if err != nil {
		t.Fatal(err)
	}
	st := &checks.State{}
	if err := Stage.Run(context.Background(), ws, st); err != nil {
		t.Fatal(err)
	}
	var drift []checks.Finding
	for _, f := range st.Findings {
		if f.Rule == "rules-copy-drift" {
			drift = append(drift, f)
		}
	}
	if len(drift) != 1 || drift[0].File != "copy/d.json" || !strings.Contains(drift[0].Message, victim.Where) || !strings.Contains(drift[0].Message, "kafka_consumergroup_lagsum") {
		t.Fatalf("want one drift finding for %s, got %+v", victim.Where, drift)
	}
	if drift[0].Line != victim.Line {
		t.Errorf("drift at line %d, want %d", drift[0].Line, victim.Line)
	}
}
