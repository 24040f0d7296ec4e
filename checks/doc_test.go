package checks

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/CHECKS.md from the rule catalogue")

// TestChecksDoc fails when docs/CHECKS.md is not what the catalogue generates.
func TestChecksDoc(t *testing.T) {
	path := filepath.Join("..", "docs", "CHECKS.md")
	want := ChecksDoc()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Fatalf("docs/CHECKS.md is stale or missing; regenerate it with:\n\tgo test ./checks -run TestChecksDoc -update\n(or make docs)")
	}
}

// TestChecksDocCoversCatalogue: every rule has a section (the SARIF help links' anchors)
// and every rule's area has a heading.
func TestChecksDocCoversCatalogue(t *testing.T) {
	doc := ChecksDoc()
	for _, r := range Rules() {
		if !strings.Contains(doc, "\n### "+r.ID+"\n") {
			t.Errorf("docs/CHECKS.md has no section for %s", r.ID)
		}
		known := false
		for _, a := range areaTitles {
			known = known || a.area == r.Area
		}
		if !known {
			t.Errorf("rule %s: area %q has no heading in ChecksDoc", r.ID, r.Area)
		}
	}
}
