package lagmon

import (
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
