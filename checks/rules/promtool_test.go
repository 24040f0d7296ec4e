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

// For every plain rule file of the corpus, our acceptance equals `promtool check rules`
// (one promtool run over all files; its per-file verdicts are parsed from the output).
func TestCorpusAgreesWithPromtool(t *testing.T) {
	promtool := promtoolPath(t)
	dir := corporaDir(t)
	ours := map[string]*File{}
	var rels []string
	for _, p := range corpusFiles(t, dir, ".yml", ".yaml", ".rules") {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		if f := Load(rel, data); f.Kind == KindPlain {
			ours[rel] = f
			rels = append(rels, rel)
		}
	}
	if len(rels) < 100 {
		t.Fatalf("only %d plain rule files in the corpus", len(rels))
	}
	cmd := exec.Command(promtool, append([]string{"check", "rules"}, rels...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("running promtool: %v", err)
	}
	verdict := promtoolVerdicts(string(out))
	rejected := 0
	for _, rel := range rels {
		theirs, ok := verdict[rel]
		if !ok {
			t.Errorf("%s: no verdict in promtool's output", rel)
			continue
		}
		if !theirs {
			rejected++
		}
		if accept := len(ours[rel].Problems) == 0; accept != theirs {
			if why, ok := knownDifferences[rel]; ok {
				t.Logf("%s: known difference: %s", rel, why)
				continue
			}
			t.Errorf("%s: we accept=%v, promtool accept=%v; ours: %v", rel, accept, theirs, ours[rel].Problems)
		}
	}
	if rejected == 0 {
		t.Fatalf("promtool rejected no corpus file: confluent's broker-alerts.yml should be rejected")
	}
	t.Logf("compared %d plain rule files with promtool, %d rejected by both", len(rels), rejected)
}

// promtoolVerdicts parses `promtool check rules` output: "Checking FILE" followed by
// "  SUCCESS: ..." or "  FAILED:".
func promtoolVerdicts(out string) map[string]bool {
	v := map[string]bool{}
	cur := ""
	for _, l := range strings.Split(out, "\n") {
		if f, ok := strings.CutPrefix(l, "Checking "); ok {
			cur = strings.TrimSpace(f)
			continue
		}
		if cur == "" {
			continue
		}
		switch t := strings.TrimSpace(l); {
		case strings.HasPrefix(t, "SUCCESS"):
			v[cur] = true
			cur = ""
		case strings.HasPrefix(t, "FAILED"):
			v[cur] = false
			cur = ""
		}
	}
	return v
}
