package soak

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPrometheusReportsRuleAlerts runs the real Prometheus server: it must load the rule
// files, scrape a target from the file list, and report the lag alert with its file.
func TestPrometheusReportsRuleAlerts(t *testing.T) {
	if _, err := exec.LookPath("prometheus"); err != nil {
		t.Skip("prometheus server not installed (scripts/install-deps.sh installs Debian's prometheus)")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "lag_alerts.yml"), []byte(`groups:
  - name: lag
    rules:
      - alert: SoakTestLagHigh
        expr: websocket_kafka_consumer_lag > 100
        labels: {severity: page}
`), 0o644)
	os.WriteFile(filepath.Join(dir, "lag_alerts_test.yml"), []byte("rule_files: [lag_alerts.yml]\ntests: []\n"), 0o644)
	files, err := RuleFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || filepath.Base(files[0]) != "lag_alerts.yml" {
		t.Fatalf("RuleFiles = %v, want only lag_alerts.yml (the promtool test file is not a rule file)", files)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "# TYPE websocket_kafka_consumer_lag gauge\nwebsocket_kafka_consumer_lag{partition=\"3\"} 5000\n")
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := StartPrometheus(ctx, "", dir, files, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	if n, err := p.RuleCount(ctx); err != nil || n != 1 {
		t.Fatalf("RuleCount = %d, %v; want 1", n, err)
	}
	if err := p.SetTargets([]PromTarget{{Addr: strings.TrimPrefix(srv.URL, "http://"), Member: "m1", Target: "test"}}); err != nil {
		t.Fatal(err)
	}
	for {
		as, err := p.ActiveAlerts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			if a.Rule == "SoakTestLagHigh" && a.State == "firing" {
				if !isLagAlert(a) || a.Labels["partition"] != "3" || filepath.Base(a.File) != "lag_alerts.yml" {
					t.Fatalf("alert %+v: want a lag alert for partition 3 from lag_alerts.yml", a)
				}
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("SoakTestLagHigh never fired; last alerts %+v", as)
		case <-time.After(300 * time.Millisecond):
		}
	}
}
