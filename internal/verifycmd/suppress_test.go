package verifycmd

import (
	"strings"
	"testing"

	"github.com/streamaudit/streamaudit/checks"
)

func TestParseDirectives(t *testing.T) {
	dir := "streamaudit:" + "ignore" // kept apart so this file holds no directive itself
	goSrc := strings.Join([]string{
		"package p",
		"var x = 1 //" + dir + " kafka-security built for tests only",
		"//" + dir + " kafka-hotloop",
		"// " + dir,
		"/* " + dir + " no-such-rule because */",
		"// the docs say: //" + dir + " RULE reason",
		"var s = \"//" + dir + " kafka-security x\"",
		"//" + dir + "d kafka-security x",
	}, "\n")
	other := strings.Join([]string{
		"# " + dir + " env-doc-stale documented for the legacy chart",
		"<!-- " + dir + " claim-unverified tracked elsewhere -->",
		`key: "# ` + dir + ` env-doc-stale quoted"`,
		"text that mentions " + dir + " without a marker",
		"(`# " + dir + " RULE reason` in YAML)",
	}, "\n")
	type want struct {
		line         int
		rule, reason string
		problem      string
	}
	check := func(file, src string, wants []want) {
		ds := parseDirectives(file, []byte(src))
		if len(ds) != len(wants) {
			t.Fatalf("%s: got %d directives, want %d: %+v", file, len(ds), len(wants), ds)
		}
		for i, w := range wants {
			d := ds[i]
			if d.Line != w.line || d.Rule != w.rule || d.Reason != w.reason || (w.problem == "") != (d.Problem == "") || !strings.Contains(d.Problem, w.problem) {
				t.Errorf("%s: directive %d = %+v, want %+v", file, i, d, w)
			}
		}
	}
	check("f.go", goSrc, []want{
		{2, "kafka-security", "built for tests only", ""},
		{3, "kafka-hotloop", "", "a reason is required"},
		{4, "", "", "needs a rule ID and a reason"},
		{5, "no-such-rule", "because", "unknown rule"},
	})
	check("chart.yaml", other, []want{
		{1, "env-doc-stale", "documented for the legacy chart", ""},
		{2, "claim-unverified", "tracked elsewhere", ""},
	})
	check("README.md", "**//"+dir+" without a rule** prose\n```\n//"+dir+" kafka-security sample\n```\n<!-- "+dir+" env-doc-stale legacy name -->\n", []want{
		{5, "env-doc-stale", "legacy name", ""},
	})
	// At the end of a table row, after prose with an apostrophe: the reason stops at -->;
	// inside a code span it is a quotation.
	check("docs/x.md", "| `X_Y` | Burrow's variable <!-- "+dir+" env-doc-stale not ours --> |\n| `<!-- "+dir+" env-doc-stale quoted -->` |\n", []want{
		{1, "env-doc-stale", "not ours", ""},
	})
	if inv := invalidFindings(parseDirectives("f.go", []byte(goSrc))); len(inv) != 3 {
		t.Errorf("invalid findings = %d, want 3", len(inv))
	}
}

func TestSuppressorMatchesLineAboveAndSpan(t *testing.T) {
	ds := []directive{
		{File: "a.go", Line: 9, Rule: "kafka-security", Reason: "r"},
		{File: "a.go", Line: 30, Rule: "kafka-security", Reason: "r"},
	}
	s := newSuppressor(ds)
	fs := []checks.Finding{
		{Rule: "kafka-security", File: "a.go", Line: 10},              // directive above
		{Rule: "kafka-security", File: "a.go", Line: 12},              // too far
		{Rule: "kafka-hotloop", File: "a.go", Line: 10},               // other rule
		{Rule: "kafka-security", File: "a.go", Line: 28, EndLine: 32}, // directive inside the span
		{Rule: "kafka-security", File: "b.go", Line: 10},              // other file
	}
	keep, sup := s.filter(fs)
	if len(sup) != 2 || sup[0].Finding.Line != 10 || sup[1].Finding.Line != 28 {
		t.Errorf("suppressed = %+v, want lines 10 and 28", sup)
	}
	if len(keep) != 3 {
		t.Errorf("kept %d findings, want 3", len(keep))
	}
}
