package lagmon

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const (
	lagAlertsFile = "../../deploy/prometheus/lag_alerts.yml"
	lagAlertsTest = "../../deploy/prometheus/tests/lag_alerts_test.yml"
)

// TestLagAlertsPromtool runs the promtool unit tests of the lag alerts (firing and
// non-firing cases). promtool missing fails on CI and skips elsewhere.
func TestLagAlertsPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("promtool not found on CI (scripts/install-deps.sh installs Debian's prometheus package): %v", err)
		}
		t.Skipf("promtool not installed (apt-get install prometheus, or scripts/install-deps.sh): %v", err)
	}
	for _, args := range [][]string{
		{"check", "rules", lagAlertsFile},
		{"test", "rules", lagAlertsTest},
	} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestLagAlertsUseExportedMetrics: every websocket_* metric the lag alerts reference is
// one this package exports (a renamed metric would silently disable an alert).
func TestLagAlertsUseExportedMetrics(t *testing.T) {
	data, err := os.ReadFile(filepath.Clean(lagAlertsFile))
	if err != nil {
		t.Fatal(err)
	}
	m, reg := newTestMonitor(t, Config{}, nil)
	m.Assigned(map[string][]int32{"t": {0}})
	now := time.Now()
	m.ObserveFetches(fetch("t", 0, 10, 10, rec(0, now)))
	m.Slot("t", 0).Processed(0, now)
	exported := map[string]bool{}
	for name := range scrape(t, reg) {
		exported[name] = true
	}
	var body strings.Builder // rules without comments
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			body.WriteString(line + "\n")
		}
	}
	used := regexp.MustCompile(`websocket_[a-z_]+`).FindAllString(body.String(), -1)
	if len(used) == 0 {
		t.Fatalf("%s references no websocket_* metric", lagAlertsFile)
	}
	for _, name := range used {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		if !exported[name] && !exported[base] {
			t.Errorf("%s references %s, which lagmon does not export", lagAlertsFile, name)
		}
	}
}

// refreshFailingCarryOver is a promtool unit test of KafkaLagRefreshFailing over the
// timeline of the soak (docs/SOAK.md), where one Prometheus serves every scenario of a
// target: slow-kafka's member (instance a) really fails refreshes for 25 s and is then
// removed (staleness marker); 10 s later rebalance's member (instance b, another mapped
// port) starts and never fails. The rule's rate over [5m] still sees a's samples, so the
// expression holds for instance a (the alert is pending, labelled instance=a) while b's
// counter is 0, until a's failures leave the window; with `for: 15m` it never fires.
const refreshFailingCarryOver = `rule_files:
  - %s
evaluation_interval: 1s
tests:
  - interval: 1s
    input_series:
      - series: 'websocket_kafka_lag_poll_failures_total{instance="a"}'
        values: '0x19 1+1x24 stale'
      - series: 'websocket_kafka_lag_poll_failures_total{instance="b"}'
        values: '_x54 0x1200'
    promql_expr_test:
      - expr: count by (instance) (%s)
        eval_time: 58s
        exp_samples:
          - labels: '{instance="a"}'
            value: 1
      - expr: count by (instance) (%s)
        eval_time: 6m
        exp_samples: []
    alert_rule_test:
      - eval_time: 20m
        alertname: KafkaLagRefreshFailing
        exp_alerts: []
`

// TestRefreshFailingAlertOutlivesDepartedInstance documents why the soak lists
// KafkaLagRefreshFailing as pending at the start of its rebalance scenario although the
// member's websocket_kafka_lag_poll_failures_total is 0 (TestStartupAndRebalance-
// RefreshesAreNotFailures): the pending alert belongs to the previous scenario's member.
func TestRefreshFailingAlertOutlivesDepartedInstance(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("promtool not found on CI: %v", err)
		}
		t.Skipf("promtool not installed: %v", err)
	}
	data, err := os.ReadFile(lagAlertsFile)
	if err != nil {
		t.Fatal(err)
	}
	expr := regexp.MustCompile(`(?m)alert: KafkaLagRefreshFailing\s*\n\s*expr: (.+)$`).FindSubmatch(data)
	if expr == nil {
		t.Fatalf("%s: no KafkaLagRefreshFailing rule with a one-line expr", lagAlertsFile)
	}
	rules, err := filepath.Abs(lagAlertsFile)
	if err != nil {
		t.Fatal(err)
	}
	e := strings.TrimSpace(string(expr[1]))
	test := filepath.Join(t.TempDir(), "carryover_test.yml")
	if err := os.WriteFile(test, fmt.Appendf(nil, refreshFailingCarryOver, rules, e, e), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "test", "rules", test).CombinedOutput(); err != nil {
		t.Errorf("promtool test rules (KafkaLagRefreshFailing after its instance left): %v\n%s", err, out)
	}
}
