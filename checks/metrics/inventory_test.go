package metrics

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/streamaudit/streamaudit/checks"
)

var (
	testdataOnce    sync.Once
	testdataEntries []Entry
	testdataErr     error
)

// loadTestdata loads testdata/src/app once per test binary (type-checking client_golang
// and kprom from source is the slow part).
func loadTestdata(t *testing.T) []Entry {
	t.Helper()
	testdataOnce.Do(func() { testdataEntries, testdataErr = loadApp() })
	if testdataErr != nil {
		t.Fatal(testdataErr)
	}
	return testdataEntries
}

func loadApp() ([]Entry, error) {
	dir, err := filepath.Abs(".")
	if err != nil {
		return nil, err
	}
	// Through a Workspace, as verify loads: dependency function bodies are dropped.
	cfg := checks.DefaultConfig()
	cfg.Go.Packages = []string{"./testdata/src/app"}
	ws, err := checks.NewWorkspace(dir, cfg)
	if err != nil {
		return nil, err
	}
	pkgs, err := ws.Packages(context.Background())
	if err != nil {
		return nil, err
	}
	for _, p := range pkgs {
		for _, e := range p.Errors {
			return nil, fmt.Errorf("testdata does not type-check: %v", e)
		}
	}
	return Collect(pkgs, func(abs string) string {
		r, _ := filepath.Rel(dir, abs)
		return filepath.ToSlash(r)
	}, nil), nil
}

func TestInventory(t *testing.T) {
	entries := loadTestdata(t)
	byName := map[string]Entry{}
	for _, e := range entries {
		byName[e.Metric.Name] = e
	}
	want := []struct {
		name, typ string
		labels    []string
		line      int
	}{
		{"app_kafka_consumer_lag", "gauge", []string{"partition", "topic"}, 20},                   // BuildFQName of constants, typed by MustNewConstMetric
		{"app_kafka_commit_age_seconds", "counter", []string{"member", "partition", "topic"}, 22}, // typed through a closure, const labels
		{"app_messages_total", "counter", []string{"status"}, 39},                                 // opts through a variable
		{"app_kafka_owned_partitions", "gauge", []string{}, 42},                                   // promauto.Factory method
		{"app_poll_duration_milliseconds", "histogram", []string{"partition", "topic"}, 43},
		{"app_errors", "counter", []string{}, 44},
		{"go_goroutines", "gauge", nil, 46},                                                          // registered Go collector
		{"app_retries_total", "counter", []string{"reason"}, 48},                                     // opts and labels from another file
		{"app_client_connects_total", "counter", []string{"client_id", "node_id"}, 49},               // kprom with subsystem
		{"app_client_fetch_uncompressed_bytes_total", "counter", []string{"client_id", "topic"}, 49}, // ByTopic only
	}
	for _, w := range want {
		e, ok := byName[w.name]
		if !ok {
			t.Errorf("%s missing from inventory", w.name)
			continue
		}
		m := e.Metric
		if m.Type != w.typ || m.Line != w.line || !m.Resolved || (w.labels != nil && !slices.Equal(m.Labels, w.labels)) {
			t.Errorf("%s: got type %s labels %v line %d resolved %v; want %s %v %d", w.name, m.Type, m.Labels, m.Line, m.Resolved, w.typ, w.labels, w.line)
		}
		if m.File != "testdata/src/app/app.go" {
			t.Errorf("%s: file %s", w.name, m.File)
		}
	}
	if _, ok := byName["process_cpu_seconds_total"]; ok {
		t.Errorf("process collector listed although it is never registered")
	}
	if _, ok := byName["app_client_fetch_bytes_total"]; ok {
		t.Errorf("kprom ConsistentNaming ignored")
	}
	unresolved := 0
	for _, e := range entries {
		if !e.Metric.Resolved {
			unresolved++
			if !strings.Contains(e.Metric.Name, "os.Getenv") || e.Metric.Line != 45 {
				t.Errorf("unresolved entry %+v", e.Metric)
			}
		}
	}
	if unresolved != 1 {
		t.Errorf("%d unresolved names, want 1 (the os.Getenv one)", unresolved)
	}
}

func TestNaming(t *testing.T) {
	fs := Naming(loadTestdata(t))
	var got []string
	for _, f := range fs {
		got = append(got, f.Evidence+": "+f.Message)
	}
	joined := strings.Join(got, "\n")
	for _, w := range []string{
		`app_errors: counter app_errors: counter metrics should have "_total" suffix`,
		`app_poll_duration_milliseconds: histogram app_poll_duration_milliseconds: use base unit "seconds" instead of "milliseconds"`,
		`app_kafka_commit_age_seconds: counter app_kafka_commit_age_seconds: counter metrics should have "_total" suffix`,
	} {
		if !strings.Contains(joined, w) {
			t.Errorf("missing naming finding %q in:\n%s", w, joined)
		}
	}
	for _, f := range fs {
		if strings.HasPrefix(f.Evidence, "go_") || strings.HasPrefix(f.Evidence, "app_client_") {
			t.Errorf("library metric reported: %s", f.Message)
		}
		if f.Evidence == "app_messages_total" || f.Evidence == "app_kafka_consumer_lag" {
			t.Errorf("well-named metric reported: %s", f.Message)
		}
	}
}

func TestIndexLookup(t *testing.T) {
	ix := NewIndex([]checks.Metric{
		{Name: "h_seconds", Type: "histogram", Labels: []string{"route"}, Resolved: true},
		{Name: "s_seconds", Type: "summary", Resolved: true},
		{Name: "c", Type: "counter", Resolved: true},
		{Name: "g", Type: "gauge", Resolved: true},
	})
	for name, want := range map[string]bool{
		"h_seconds_bucket": true, "h_seconds_sum": true, "h_seconds_count": true, "h_seconds": true,
		"s_seconds": true, "s_seconds_count": true, "s_seconds_bucket": false,
		"c": true, "c_total": true, "g_total": false, "g": true, "g_bucket": false, "nope": false,
	} {
		if _, ok := ix.Lookup(name); ok != want {
			t.Errorf("Lookup(%s) = %v, want %v", name, ok, want)
		}
	}
	if s, _ := ix.Lookup("h_seconds_bucket"); !slices.Contains(s.Labels, "le") || s.TypeOf() != "counter" {
		t.Errorf("bucket series %+v", s)
	}
	if got := ix.Suggest("h_second_bucket"); got != "" {
		t.Errorf("Suggest for a series name gave %q", got)
	}
	if got := ix.Suggest("h_secnds"); got != "h_seconds" {
		t.Errorf("Suggest = %q", got)
	}
}
