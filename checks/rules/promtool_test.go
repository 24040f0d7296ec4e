package rules

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// promtoolPath finds promtool: skipped with a reason when missing, unless CI=true.
func promtoolPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("promtool not found on CI (scripts/install-deps.sh installs it): %v", err)
		}
		t.Skipf("promtool not installed (apt-get install prometheus, or scripts/install-deps.sh): %v", err)
	}
	return p
}

// knownDifferences lists corpus files on which we deliberately disagree with Debian's
// promtool 2.42 (see docs/CHECKS-rules.md): none so far.
var knownDifferences = map[string]string{}

// For every plain rule file of the corpus, our acceptance equals `promtool check rules`.
func TestCorpusAgreesWithPromtool(t *testing.T) {
	promtool := promtoolPath(t)
	dir := corporaDir(t)
	compared, rejected := 0, 0
	for _, p := range corpusFiles(t, dir, ".yml", ".yaml", ".rules") {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		f := Load(rel, data)
		if f.Kind != KindPlain {
			continue
		}
		compared++
		ours := len(f.Problems) == 0
		out, err := exec.Command(promtool, "check", "rules", p).CombinedOutput()
		theirs := err == nil
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			t.Fatalf("running promtool: %v", err)
		}
		if !theirs {
			rejected++
		}
		if ours != theirs {
			if why, ok := knownDifferences[rel]; ok {
				t.Logf("%s: known difference: %s", rel, why)
				continue
			}
			t.Errorf("%s: we accept=%v, promtool accept=%v\nours: %v\npromtool: %s", rel, ours, theirs, f.Problems, strings.TrimSpace(string(out)))
		}
	}
	if compared < 100 {
		t.Fatalf("compared only %d plain rule files", compared)
	}
	if rejected == 0 {
		t.Fatalf("promtool rejected no corpus file: confluent's broker-alerts.yml should be rejected")
	}
	t.Logf("compared %d plain rule files with promtool, %d rejected by both", compared, rejected)
}
