package dashboards_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/checks/dashboards"
	"github.com/streamaudit/streamaudit/checks/metrics"
	"github.com/streamaudit/streamaudit/checks/rules"
)

// repoConfig is the repository's .streamaudit.yaml, or (until it exists) the rules and
// dashboards entries it is meant to hold.
func repoConfig(t *testing.T, root string) *checks.Config {
	t.Helper()
	p := filepath.Join(root, ".streamaudit.yaml")
	if _, err := os.Stat(p); err == nil {
		cfg, err := checks.LoadConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		ensureLagCopies(t, root, cfg)
		return cfg
	}
	cfg := checks.DefaultConfig()
	cfg.Rules.Files = []string{"deploy/prometheus/*.yml", "deploy/helm/streamsvc/files/*.yml"}
	cfg.Rules.Copies = [][]string{
		{"deploy/prometheus/alerts.yml", "deploy/helm/streamsvc/files/alerts.yml"},
	}
	ensureLagCopies(t, root, cfg)
	cfg.Rules.RequiredAlerts = []checks.RequiredAlert{{Alert: "KafkaInfraErrorsHigh", Uses: []string{"websocket_infrastructure_errors_total"}}}
	cfg.Dashboards = []string{"deploy/grafana/*.json"}
	return cfg
}

// ensureLagCopies adds the lag-alert copy pair when the configuration lacks it: the Helm
// chart ships both rule files, and without the pair their alerts count as duplicates.
func ensureLagCopies(t *testing.T, root string, cfg *checks.Config) {
	t.Helper()
	pair := []string{"deploy/prometheus/lag_alerts.yml", "deploy/helm/streamsvc/files/lag_alerts.yml"}
	if _, err := os.Stat(filepath.Join(root, pair[0])); err != nil {
		return
	}
	for _, c := range cfg.Rules.Copies {
		if len(c) > 0 && c[0] == pair[0] {
			return
		}
	}
	t.Logf("configuration lacks rules.copies %v: added for this test", pair)
	cfg.Rules.Copies = append(cfg.Rules.Copies, pair)
}

// streamsvc's own alerts, Helm copies and dashboard pass the metrics, rules and
// dashboards stages against the metrics streamsvc's code exports.
func TestRepoDeployAssetsClean(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the streamsvc packages (about 10 s); skipped with -short")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := checks.NewWorkspace(root, repoConfig(t, root))
	if err != nil {
		t.Fatal(err)
	}
	ws.Only = []string{"./streamsvc/...", "./cmd/streamsvc/..."}
	st := &checks.State{}
	for _, s := range []checks.Stage{metrics.Stage, rules.Stage, dashboards.Stage} {
		if err := s.Run(context.Background(), ws, st); err != nil {
			t.Fatalf("stage %s: %v", s.Name, err)
		}
	}
	if len(st.Inventory.Metrics) < 20 {
		t.Fatalf("inventory of streamsvc has only %d metrics", len(st.Inventory.Metrics))
	}
	for _, f := range st.Findings {
		r, _ := checks.LookupRule(f.Rule)
		if r.Area == "rules" || r.Area == "dashboards" {
			t.Errorf("%s:%d: %s: %s", f.File, f.Line, f.Rule, f.Message)
		}
	}
}
