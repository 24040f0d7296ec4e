//go:build soak

package soak

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
)

// TestShortSoak runs the soak against streamsvc and the audited dashstream-v7 design: the
// bad design must be reported (unbounded memory, stale lag gauges) and streamsvc must pass.
// SOAK_DURATION sets each scenario's length (default 45s); the figures, plots and reports
// land in reports/latest/soak (or SOAK_OUT). SOAK_TARGETS and SOAK_SCENARIOS (comma lists) select a
// subset; the bad design is then asserted only when every scenario ran.
func TestShortSoak(t *testing.T) {
	PrepareEnv()
	testcontainers.SkipIfProviderIsNotHealthy(t)
	d := 45 * time.Second
	if v := os.Getenv("SOAK_DURATION"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("SOAK_DURATION=%q: %v", v, err)
		}
	}
	out := os.Getenv("SOAK_OUT")
	if out == "" {
		out = filepath.Join("..", "..", "reports", "latest", "soak")
	}
	o := Options{Root: filepath.Join("..", ".."), OutDir: out, Duration: d, Brokers: os.Getenv("SOAK_BROKERS"), Log: testLog{t},
		Targets: splitList(os.Getenv("SOAK_TARGETS")), Scenarios: splitList(os.Getenv("SOAK_SCENARIOS"))}.Defaults()
	// A bound for a hung run, not a speed goal: image builds and start-up, then every
	// target x scenario run for d plus its warm-up, recovery and read-back phases. (It was
	// 15m+8d: the full make soak, 10 runs of 10 minutes that take about 12.5 each, hit it
	// after 95 minutes, in the middle of the second target.)
	runs := time.Duration(len(o.Targets) * len(o.Scenarios))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute+runs*(d+d/2+3*time.Minute))
	defer cancel()
	results, err := RunAll(ctx, o)
	if errors.Is(err, ErrNoEngine) {
		t.Skipf("soak: %v", err)
	}
	if _, werr := WriteOutputs(o.OutDir, o, results); werr != nil {
		t.Fatal(werr)
	}
	if err != nil {
		t.Fatalf("soak run: %v", err)
	}
	got := map[string]map[string]int{} // target -> rule -> findings
	for _, r := range results {
		if got[r.Target] == nil {
			got[r.Target] = map[string]int{}
		}
		for _, f := range r.Findings {
			got[r.Target][f.Rule]++
			t.Logf("%s/%s: %s: %s", r.Target, r.Scenario, f.Rule, f.Message)
		}
	}
	if n := len(got["streamsvc"]); n != 0 {
		t.Errorf("streamsvc must pass the soak; it has findings %v (see %s/report.md)", got["streamsvc"], o.OutDir)
	}
	// A lag alert going pending after the rebalance (soak-alert-pending, a warning) is
	// reported for the bad design when its stale gauges climb past its threshold within the
	// run; it is timing-dependent in a 45 s run, so it is logged, not required.
	t.Logf("dashstream-v7: soak-false-alert %d, soak-alert-pending %d", got["dashstream-v7"]["soak-false-alert"], got["dashstream-v7"]["soak-alert-pending"])
	for _, rule := range []string{"soak-memory-unbounded", "soak-stale-gauge"} {
		if contains(o.Targets, "dashstream-v7") && ranAll(o.Scenarios) && got["dashstream-v7"][rule] == 0 {
			t.Errorf("the audited dashstream-v7 design must be reported with %s; got %v (see %s/report.md)", rule, got["dashstream-v7"], o.OutDir)
		}
	}
}

// ranAll reports whether every default scenario was selected.
func ranAll(selected []string) bool {
	for _, s := range ScenarioNames() {
		if !contains(selected, s) {
			return false
		}
	}
	return true
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(string(p[:len(p)-min(1, len(p))]))
	return len(p), nil
}
