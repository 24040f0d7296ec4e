package envdrift

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

// TestStreamsvcChart: deploy/helm/streamsvc passes every variable of kafkaconf.Table to
// the streamsvc container, and every secret only through a Secret reference.
func TestStreamsvcChart(t *testing.T) {
	chart := filepath.Join("..", "..", "deploy", "helm", "streamsvc")
	values, err := os.ReadFile(filepath.Join(chart, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	vdocs, err := parseYAMLDocs("values.yaml", values)
	if err != nil || len(vdocs) != 1 {
		t.Fatalf("values.yaml: %v", err)
	}
	tpl, err := os.ReadFile(filepath.Join(chart, "templates", "deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := parseYAMLDocs("deployment.yaml", detemplate(tpl))
	if err != nil {
		t.Fatalf("deployment.yaml (static scan): %v", err)
	}
	ws := extractK8s("deployment.yaml", docs, &valueResolver{file: "values.yaml", root: vdocs[0]}, nil)
	if len(ws) != 1 || ws[0].Name != "streamsvc" {
		t.Fatalf("want the streamsvc container, got %d workloads", len(ws))
	}
	set := map[string]*Mention{}
	for _, m := range ws[0].Env {
		set[m.Name] = m
	}
	for _, v := range kafkaconf.Table {
		m := set[v.Name]
		if m == nil {
			t.Errorf("%s is not passed to the container", v.Name)
			continue
		}
		if v.Secret && !m.Secret {
			t.Errorf("%s is a secret but is not taken from a Secret reference (line %d)", v.Name, m.Loc.Line)
		}
	}
	for name := range set {
		if _, ok := kafkaconf.Lookup(name); !ok {
			t.Errorf("%s is set but not in kafkaconf.Table", name)
		}
	}
	if !containsHint(ws[0].Hints, "streamsvc") {
		t.Errorf("hints %v do not name the streamsvc binary", ws[0].Hints)
	}
}

func containsHint(hints []string, name string) bool {
	for _, h := range hints {
		for _, t := range hintTokens(h) {
			if t == name {
				return true
			}
		}
	}
	return false
}
