package verifycmd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/streamaudit/streamaudit/checks"
)

const (
	fixtureV7    = "../../fixtures/dashstream-v7"
	fixtureFixed = "../../fixtures/dashstream-fixed"
)

// verifyJSON runs verify with args plus -format json and decodes the report.
func verifyJSON(t *testing.T, args ...string) (*checks.Report, int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"-format", "json"}, args...), &out, &errb)
	if code == ExitError {
		return nil, code, errb.String()
	}
	var rep checks.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("verify %v: output is not a JSON report: %v\n%s\nstderr: %s", args, err, out.String(), errb.String())
	}
	return &rep, code, errb.String()
}

var (
	v7Once   sync.Once
	v7Report *checks.Report
	v7JSON   []byte
	v7Code   int
	v7Stderr string
)

// runV7 runs verify -format json on the drifted fixture once per test binary.
func runV7(t *testing.T) (*checks.Report, []byte, int) {
	t.Helper()
	v7Once.Do(func() {
		var out, errb bytes.Buffer
		v7Code = Main(context.Background(), []string{"-format", "json", fixtureV7}, &out, &errb)
		v7JSON, v7Stderr = out.Bytes(), errb.String()
		var rep checks.Report
		if json.Unmarshal(v7JSON, &rep) == nil {
			v7Report = &rep
		}
	})
	if v7Report == nil {
		t.Fatalf("verify on %s exited %d without a JSON report: %s", fixtureV7, v7Code, v7Stderr)
	}
	return v7Report, v7JSON, v7Code
}

// TestFixtureExpected is the acceptance test of the drifted fixture: every static row of
// EXPECTED.md must be reported, and verify exits 1. Rows are subtests, so the output
// lists which rows pass while other engineers' checks are still landing.
func TestFixtureExpected(t *testing.T) {
	t.Parallel()
	rows, inv, err := parseExpected(filepath.Join(fixtureV7, "EXPECTED.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 30 {
		t.Fatalf("EXPECTED.md has %d finding rows; the table did not parse", len(rows))
	}
	rep, _, code := runV7(t)
	if code != ExitFindings {
		t.Errorf("exit code %d, want %d (error-level findings)", code, ExitFindings)
	}
	for _, r := range rows {
		if r.Mode != "static" {
			continue
		}
		r := r
		t.Run(r.ID+"_"+r.Rule, func(t *testing.T) {
			for _, f := range rep.Findings {
				if r.matches(f) {
					return
				}
			}
			var near []string
			for _, f := range rep.Findings {
				if f.Rule == r.Rule {
					near = append(near, f.Position().String())
				}
			}
			t.Errorf("EXPECTED.md:%d (%s): no %s finding in %s lines %s; %s findings reported at: %v",
				r.Line, r.Finding, r.Rule, r.File, r.Lines, r.Rule, near)
		})
	}
	for _, r := range inv {
		r := r
		t.Run("inventory_"+strings.ReplaceAll(r.Client, " ", "_"), func(t *testing.T) {
			lo, hi, _ := parseSpan(r.Lines)
			for _, k := range rep.Inventory.KafkaClients {
				if checks.MatchGlob(r.File, k.File) && (lo == 0 || (k.Line >= lo && k.Line <= hi)) {
					if k.Secured != r.Secured {
						t.Errorf("EXPECTED.md:%d: client %s:%d secured=%v, want %v", r.Line, k.File, k.Line, k.Secured, r.Secured)
					}
					return
				}
			}
			t.Errorf("EXPECTED.md:%d: no Kafka client in the inventory at %s:%s (%d clients listed)", r.Line, r.File, r.Lines, len(rep.Inventory.KafkaClients))
		})
	}
}

// TestFixtureBaselineMarkdown: with the v6 report as baseline, the Markdown status table
// shows the audit's section 1 items as NOT FIXED, and the one v6 finding fixed since as FIXED.
// The fixture's JSON report is rendered through `verify report` (same baseline code path
// as `verify -baseline`, without auditing the fixture twice).
func TestFixtureBaselineMarkdown(t *testing.T) {
	_, data, _ := runV7(t)
	saved := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(saved, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"report", "-format", "md", "-baseline", filepath.Join(fixtureV7, "report-v6.json"), saved}, &out, &errb)
	if code == ExitError {
		t.Fatalf("verify exited 2: %s", errb.String())
	}
	md := out.String()
	start := strings.Index(md, "Findings (Checked Against HEAD)")
	if start < 0 {
		t.Fatalf("no baseline status section in the Markdown report:\n%s", md)
	}
	table := md[start:]
	table = table[:strings.Index(table, "\n---")]
	section1 := []struct{ rule, file string }{
		{"kafka-security", "cmd/dashflow-cli/tail.go"},                                    // CLI applies KafkaSecurityConfig
		{"kafka-security", "cmd/dashflow-cli/replay.go"},                                  // CLI applies KafkaSecurityConfig
		{"kafka-security", "internal/streaming/kafka.go"},                                 // admin helpers
		{"env-set-not-read", "deploy/helm/dashstream/templates/prometheus-exporter.yaml"}, // exporter KAFKA_AUTO_OFFSET_RESET
		{"kafka-cli-env", "cmd/dashflow-cli/tail.go"},                                     // CLI topic defaults/env wiring
		{"kafka-dlq-commit", "cmd/websocket-server/main.go"},                              // DLQ semantics (M-429)
		{"rules-required-alert", "deploy/prometheus/alerts.yml"},                          // infra error alert
	}
	for _, s := range section1 {
		found := false
		for _, line := range strings.Split(table, "\n") {
			if strings.Contains(line, "`"+s.rule+"`") && strings.Contains(line, s.file) {
				found = true
				if !strings.Contains(line, "❌ NOT FIXED") {
					t.Errorf("status row for %s in %s is not NOT FIXED: %s", s.rule, s.file, line)
				}
			}
		}
		if !found {
			t.Errorf("no status row for the v6 finding %s in %s", s.rule, s.file)
		}
	}
	// The Helm copy of the rules was in sync before (its drift fingerprint is in the v6
	// history) and drifted again: a regression, listed in the executive summary.
	if !strings.Contains(md, "`rules-copy-drift` `deploy/helm/dashstream/files/alerts.yml:14` (regressed") {
		t.Errorf("the re-drifted rules copy is not reported as a regression in the executive summary")
	}
	if !strings.Contains(table, "`env-undocumented` KAFKA_DLQ_TOPIC") || !strings.Contains(table, "✅ FIXED") {
		t.Errorf("the v6 env-undocumented KAFKA_DLQ_TOPIC finding (documented since) is not listed as FIXED:\n%s", table)
	}
}

// TestFixtureFixedClean: the fixed fixture has no error-level finding and exits 0.
func TestFixtureFixedClean(t *testing.T) {
	t.Parallel()
	rep, code, stderr := verifyJSON(t, fixtureFixed)
	if rep == nil {
		t.Fatalf("verify exited %d: %s", code, stderr)
	}
	assertNoErrors(t, rep, code)
}

// TestSelfClean is the dogfood gate in test form: this repository has no error-level
// finding. It loads every package of the module, which `make test` already does once
// through the binary (test-dogfood), so it runs only when STREAMAUDIT_SELF_TEST=1.
func TestSelfClean(t *testing.T) {
	if os.Getenv("STREAMAUDIT_SELF_TEST") != "1" {
		t.Skip("the dogfood gate runs in make test-dogfood; set STREAMAUDIT_SELF_TEST=1 to run it here too")
	}
	rep, code, stderr := verifyJSON(t, "../..")
	if rep == nil {
		t.Fatalf("verify exited %d: %s", code, stderr)
	}
	assertNoErrors(t, rep, code)
}

func assertNoErrors(t *testing.T, rep *checks.Report, code int) {
	t.Helper()
	for _, f := range rep.Findings {
		if f.Severity == checks.SeverityError {
			t.Errorf("error-level finding: %s: %s: %s", f.Position(), f.Rule, f.Message)
		}
	}
	if code != ExitOK {
		t.Errorf("exit code %d, want 0", code)
	}
	if len(rep.Errors) > 0 {
		t.Errorf("tool errors: %v", rep.Errors)
	}
}

func TestExpectedParses(t *testing.T) {
	rows, inv, err := parseExpected(filepath.Join(fixtureV7, "EXPECTED.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]int{}
	for _, r := range rows {
		sections[r.Section]++
		if r.Mode == "static" {
			if _, err := os.Stat(filepath.Join(fixtureV7, filepath.FromSlash(strings.Split(r.File, "*")[0]))); err != nil && !strings.Contains(r.File, "*") {
				t.Errorf("EXPECTED.md:%d: file %s does not exist in the fixture", r.Line, r.File)
			}
		}
	}
	for _, s := range []string{"1", "2", "3", "4"} {
		if sections[s] == 0 {
			t.Errorf("EXPECTED.md maps no finding of the audit's section %s", s)
		}
	}
	if len(inv) == 0 {
		t.Errorf("EXPECTED.md has no inventory rows")
	}
}

// TestZeroConfig: on a copy of the drifted fixture without .streamaudit.yaml, the default
// places (deploy/, docs/, *.md, examples/, cmd/*) still yield the audit's main findings.
func TestZeroConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: audits a copy of the fixture")
	}
	t.Parallel()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixtureV7)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, ".streamaudit.yaml"))
	rep, code, stderr := verifyJSON(t, dir)
	if rep == nil {
		t.Fatalf("verify exited %d: %s", code, stderr)
	}
	if code != ExitFindings {
		t.Errorf("exit %d, want 1", code)
	}
	got := map[string]int{}
	for _, f := range rep.Findings {
		got[f.Rule]++
	}
	for _, rule := range []string{"kafka-security", "kafka-hotloop", "kafka-dlq-commit", "env-set-not-read", "env-doc-stale", "rules-unalerted"} {
		if got[rule] == 0 {
			t.Errorf("zero-config run reports no %s finding; got %v", rule, got)
		}
	}
}
