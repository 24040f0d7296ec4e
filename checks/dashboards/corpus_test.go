package dashboards

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamaudit/streamaudit/checks/metrics"
)

func corporaDir(t *testing.T) string {
	t.Helper()
	d := os.Getenv("STREAMAUDIT_CORPORA")
	if d == "" {
		d = "/work/shared/corpora"
	}
	if _, err := os.Stat(d); err != nil {
		t.Skipf("corpora not available at %s (set STREAMAUDIT_CORPORA): %v", d, err)
	}
	return d
}

// Every dashboard of the corpus loads; every Prometheus query parses after variable
// substitution, or is reported with a line.
func TestCorpusDashboards(t *testing.T) {
	dir := corporaDir(t)
	n, queries, skipped := 0, 0, 0
	err := filepath.WalkDir(dir, func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		d := Load(rel, data)
		n++
		if d.Problem != nil {
			// Rejected files must say where; only jsonnet's dependency file is not a dashboard.
			if d.Problem.Line < 1 || !strings.HasSuffix(rel, "jsonnetfile.json") {
				t.Errorf("%s:%d: %s", rel, d.Problem.Line, d.Problem.Msg)
			}
			t.Logf("%s:%d: rejected: %s", rel, d.Problem.Line, d.Problem.Msg)
			return nil
		}
		queries += len(d.Queries)
		skipped += d.Skipped
		for _, f := range Check(d, metrics.NewIndex(nil), nil) {
			if f.Line == 0 {
				t.Errorf("%s: finding without a line: %s", rel, f.Message)
			}
			t.Logf("%s:%d: %s", f.File, f.Line, f.Message)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 50 || queries < 1000 {
		t.Fatalf("only %d dashboards with %d queries", n, queries)
	}
	t.Logf("%d dashboards, %d Prometheus queries, %d non-Prometheus targets skipped", n, queries, skipped)
}

// kube-prometheus ships its dashboards inside a ConfigMapList: each is loaded with the
// YAML file's lines.
func TestCorpusConfigMapDashboards(t *testing.T) {
	dir := corporaDir(t)
	rel := "kubeprom/manifests/grafana-dashboardDefinitions.yaml"
	data, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	ds := LoadConfigMaps(rel, data)
	if len(ds) < 10 {
		t.Fatalf("%d dashboards in %s", len(ds), rel)
	}
	lines := strings.Split(string(data), "\n")
	queries := 0
	for _, d := range ds {
		if d.Problem != nil {
			t.Errorf("%s:%d: %s", rel, d.Problem.Line, d.Problem.Msg)
		}
		for _, q := range d.Queries {
			queries++
			if q.Err != nil {
				t.Errorf("%s:%d: %s: %v", rel, q.Line, q.Where, q.Err)
			}
			// The reported line holds the start of the query text.
			first := q.Raw
			if i := strings.IndexAny(first, "\n\"\\"); i >= 0 {
				first = first[:i]
			}
			if q.Line < 1 || q.Line > len(lines) || !strings.Contains(lines[q.Line-1], first) {
				t.Errorf("%s: %s: line %d does not hold %q", rel, q.Where, q.Line, first)
			}
		}
	}
	if queries < 100 {
		t.Fatalf("only %d queries", queries)
	}
}
