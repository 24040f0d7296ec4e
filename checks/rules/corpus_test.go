package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corporaDir is the shared real-world corpus (read-only); tests skip without it.
func corporaDir(t *testing.T) string {
	t.Helper()
	d := os.Getenv("STREAMAUDIT_CORPORA")
	if d == "" {
		d = "/work/shared/corpora"
	}
	if _, err := os.Stat(d); err != nil {
		if os.Getenv("CI") == "true" && os.Getenv("STREAMAUDIT_CORPORA") != "" {
			t.Fatalf("corpora %s: %v", d, err)
		}
		t.Skipf("corpora not available at %s (set STREAMAUDIT_CORPORA): %v", d, err)
	}
	return d
}

func corpusFiles(t *testing.T, dir string, exts ...string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, e := range exts {
			if strings.HasSuffix(p, e) {
				out = append(out, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Every YAML file of the corpus loads, or is rejected with a line, or is reported as
// needing rendering; none panics.
func TestCorpusLoads(t *testing.T) {
	dir := corporaDir(t)
	files := corpusFiles(t, dir, ".yml", ".yaml", ".rules")
	if len(files) < 100 {
		t.Fatalf("only %d rule-like files under %s", len(files), dir)
	}
	kinds := map[Kind]int{}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		f := Load(rel, data)
		kinds[f.Kind]++
		for _, pr := range f.Problems {
			if strings.Contains(pr.Msg, "internal error") {
				t.Errorf("%s: %s", rel, pr.Msg)
			}
			if pr.Line == 0 {
				t.Errorf("%s: problem without a line: %s", rel, pr.Msg)
			}
			t.Logf("%s:%s", rel, pr)
		}
		if f.Rendering != nil {
			t.Logf("%s: needs rendering: %s", rel, f.Rendering)
		}
		if f.Kind != KindOther && f.Kind != KindHelm && len(f.Problems) == 0 && countRules(f) == 0 {
			t.Logf("%s: %s without rules", rel, f.Kind)
		}
	}
	t.Logf("kinds: %v", kinds)
}

func countRules(f *File) int {
	n := 0
	for _, g := range f.Groups {
		n += len(g.Rules)
	}
	return n
}
