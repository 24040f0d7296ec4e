package rules_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/checks/metrics"
	"github.com/streamaudit/streamaudit/checks/rules"
)

// runStages runs the metrics and rules stages on root as verify does.
func runStages(t *testing.T, root string) *checks.State {
	t.Helper()
	ws, err := checks.NewWorkspace(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := &checks.State{}
	for _, s := range []checks.Stage{metrics.Stage, rules.Stage} {
		if err := s.Run(context.Background(), ws, st); err != nil {
			t.Fatalf("stage %s: %v", s.Name, err)
		}
	}
	return st
}

func TestFixtureDashstreamV7(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the fixture's Go packages (about 10 s); skipped with -short")
	}
	root := filepath.Join("..", "..", "fixtures", "dashstream-v7")
	if _, err := os.Stat(filepath.Join(root, ".streamaudit.yaml")); err != nil {
		t.Skipf("fixture not present: %v", err)
	}
	st := runStages(t, root)
	if len(st.Inventory.Metrics) == 0 {
		t.Fatalf("empty metric inventory for the fixture")
	}
	for _, f := range st.Findings {
		t.Logf("%s:%d %s [%s] %s", f.File, f.Line, f.Rule, f.Confidence, f.Message)
	}
	want := []struct{ rule, file, text string }{
		{"rules-required-alert", "deploy/prometheus/alerts.yml", "KafkaInfraErrorsHigh"},
		{"rules-unalerted", "deploy/prometheus/alerts.yml", "websocket_infrastructure_errors_total"},
		{"rules-copy-drift", "deploy/helm/dashstream/files/alerts.yml", "differs"},
	}
	for _, w := range want {
		found := false
		for _, f := range st.Findings {
			if f.Rule == w.rule && f.File == w.file && strings.Contains(f.Message, w.text) {
				found = true
			}
		}
		if !found {
			t.Errorf("missing %s finding in %s mentioning %q", w.rule, w.file, w.text)
		}
	}
}
