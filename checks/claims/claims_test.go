package claims

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/streamaudit/streamaudit/checks"
)

// render shows parsed claims as ID@line:claimed[+verify], sorted.
func render(ps []*Parsed) string {
	var out []string
	for _, p := range ps {
		s := p.ID + "@" + strconv.Itoa(p.Line) + ":" + p.Claimed
		if len(p.Verify) > 0 {
			s += "+" + strings.Join(p.Verify, ",")
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func TestParse(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"checked task item", "- [x] M-413 security unification\n", "M-413@1:complete"},
		{"unchecked task item", "- [ ] M-429 DLQ semantics\n", ""},
		{"checked but re-opened", "- [x] M-413 ❌ re-opened\n", ""},
		{"heading with check mark", "## Kafka security (M-413 ✅ complete)\n\ntext\n", "M-413@1:complete"},
		{"heading NOT FIXED", "## M-413 NOT FIXED\n", ""},
		{"heading without marker", "## M-413 Kafka security\n", ""},
		{"list item COMPLETE", "- M-430 lag polling — COMPLETE\n", "M-430@1:complete"},
		{"list item FIXED", "* FIXED: M-414 offsets\n", "M-414@1:fixed"},
		{"lower-case complete in prose is not a marker", "- M-430 complete the lag work\n", ""},
		{"status: done", "- M-432 alert on infra errors, status: done\n", "M-432@1:done"},
		{"table row", "| Item | Status |\n|---|---|\n| M-413 security | ✅ COMPLETE |\n| M-429 DLQ | ⏳ OPEN |\n", "M-413@3:complete"},
		{"table cell Done", "| Item | Status |\n|---|---|\n| M-1 x | Done |\n| M-2 y | Not done |\n", "M-1@3:done"},
		{"status paragraph under an id heading", "## M-413 Kafka security\n\n**Status:** ✅ COMPLETE\n", "M-413@3:complete"},
		{"status paragraph without an id heading", "## Kafka security\n\n**Status:** ✅ COMPLETE\n", ""},
		{"checked sub-task under an id heading is not the item", "## M-413\n\n- [x] apply to the CLI\n- [ ] apply to admin\n", ""},
		{"items under a Done heading", "## ✅ Done\n\n- M-414 offsets\n- [ ] M-415 not this one\n- M-416 ❌ reverted\n\n## Next\n\n- M-417 later\n", "M-414@3:complete"},
		{"sub-heading stays in the Done section", "## COMPLETED\n\n### Streaming\n\n- M-1 x\n", "M-1@5:complete"},
		{"coverage sentence in a section", "## Kafka security (M-413)\n\nThe config is applied consistently across producer/consumer/admin.\n", "M-413@3:coverage"},
		{"coverage sentence with its own id", "M-413: KafkaSecurityConfig wired into the helpers (producer/consumer/admin).\n", "M-413@1:coverage"},
		{"coverage without an id", "It is applied consistently across clients.\n", ""},
		{"negated coverage", "## M-413\n\nNot yet applied consistently across clients: in progress.\n", ""},
		{"ids inside other tokens", "- ✅ SCRAM-SHA-256 and UTF-8 and foo-M-1 supported\n", ""},
		{"table header is not a claim", "| M-1, M-2 | ✅ |\n|---|---|\n", ""},
		{"two ids in one item", "- [x] M-1 and M-2\n", "M-1@1:complete M-2@1:complete"},
		{"same id twice in a document", "- [x] M-1 first\n- [x] M-1 again\n", "M-1@1:complete"},
		{"inline verify comment", "- [x] M-413 security <!-- verify: kafka-security -->\n", "M-413@1:complete+kafka-security"},
		{"verify comment on the next line", "## M-430 ✅ DONE\n<!-- verify: kafka-hotloop, soak-memory-unbounded -->\n", "M-430@1:complete+kafka-hotloop,soak-memory-unbounded"},
		{"verify comment naming an id", "<!-- verify: M-9 no-such-rule -->\n\n- [x] M-9 thing\n", "M-9@3:complete+no-such-rule"},
		{"code block is not a claim", "```\n- [x] M-1 done\n```\n", ""},
		{"binary", "\x00- [x] M-1", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := render(Parse("doc.md", []byte(c.src))); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestParseKeepsOtherLines(t *testing.T) {
	ps := Parse("doc.md", []byte("## Kafka security (M-413 ✅ complete)\n\nM-413 is complete: wired into producer/consumer/admin.\n"))
	if len(ps) != 1 || ps[0].Line != 1 || len(ps[0].More) != 1 || ps[0].More[0] != 3 {
		t.Fatalf("got %+v", ps)
	}
}

func TestEvaluate(t *testing.T) {
	sec := []checks.Finding{
		{Rule: "kafka-security", File: "cmd/cli/tail.go", Line: 19, Message: "client built without security"},
		{Rule: "kafka-security", File: "internal/kafka.go", Line: 13, Message: "admin without security"},
		{Rule: "env-doc-stale", File: "docs/x.md", Line: 2, Message: "stale"},
		{Rule: "env-dynamic-read", File: "x.go", Line: 3, Message: "info only"},
		{Rule: "kafka-hotloop", File: "x.go", Line: 1, Status: checks.StatusFixed, Message: "fixed in baseline"},
	}
	parsed := func() []*Parsed {
		return []*Parsed{
			{ID: "M-413", File: "ROADMAP.md", Line: 5, Claimed: "complete", Text: "M-413 security"},
			{ID: "M-430", File: "ROADMAP.md", Line: 6, Claimed: "complete"},
			{ID: "M-1", File: "ROADMAP.md", Line: 7, Claimed: "done"},
			{ID: "M-2", File: "ROADMAP.md", Line: 8, Claimed: "fixed", Verify: []string{"no-such-rule", "env-undocumented"}},
			{ID: "M-3", File: "ROADMAP.md", Line: 9, Claimed: "complete", Verify: []string{"soak-memory-unbounded"}},
			{ID: "M-4", File: "ROADMAP.md", Line: 10, Claimed: "complete", Verify: []string{"env-dynamic-read"}},
		}
	}
	links := map[string][]string{"M-413": {"kafka-security"}, "M-430": {"kafka-hotloop"}}
	claims, fs := Evaluate(parsed(), links, sec)
	byRule := map[string][]checks.Finding{}
	for _, f := range fs {
		byRule[f.Rule] = append(byRule[f.Rule], f)
	}
	if f := byRule["claim-failing"]; len(f) != 1 || f[0].Key != "M-413" || f[0].File != "ROADMAP.md" || f[0].Line != 5 {
		t.Fatalf("claim-failing: %+v", f)
	} else {
		if len(f[0].Related) != 2 || f[0].Related[0].File != "cmd/cli/tail.go" || !strings.Contains(f[0].Related[0].Message, "kafka-security") {
			t.Errorf("evidence %+v: want both kafka-security findings", f[0].Related)
		}
		if !strings.Contains(f[0].Message, "re-opened") || !strings.Contains(f[0].Message, "cmd/cli/tail.go:19") {
			t.Errorf("message %q", f[0].Message)
		}
	}
	if f := byRule["claim-unverified"]; len(f) != 2 || f[0].Key != "M-1" || f[1].Key != "M-3" || !strings.Contains(f[1].Message, "verify soak") {
		t.Errorf("claim-unverified: %+v", f)
	}
	if f := byRule["claim-check-missing"]; len(f) != 1 || !strings.Contains(f[0].Message, "no-such-rule") {
		t.Errorf("claim-check-missing: %+v", f)
	}
	verified := map[string]bool{}
	for _, c := range claims {
		verified[c.ID] = c.Verified
		if c.ID == "M-413" && (len(c.Failing) != 2 || c.Failing[0].Fingerprint == "") {
			t.Errorf("M-413 failing %+v", c.Failing)
		}
	}
	// M-430's only finding is fixed in the baseline: verified (negative twin of failing)
	// M-4's rule has only an info finding: it passes
	want := map[string]bool{"M-413": false, "M-430": true, "M-1": false, "M-2": false, "M-3": false, "M-4": true}
	for id, v := range want {
		if verified[id] != v {
			t.Errorf("%s verified=%v, want %v", id, verified[id], v)
		}
	}
	// negative twin: no findings at all, every linked claim verifies
	_, fs = Evaluate(parsed()[:2], links, nil)
	if len(fs) != 0 {
		t.Errorf("clean run: %+v", fs)
	}
}

// TestStageOnFixture is the acceptance check: M-413 is re-opened in all three tracking
// documents of fixtures/dashstream-v7, with the kafka-security findings as evidence.
func TestStageOnFixture(t *testing.T) {
	dir := filepath.Join("..", "..", "fixtures", "dashstream-v7")
	if _, err := os.Stat(filepath.Join(dir, ".streamaudit.yaml")); err != nil {
		t.Skipf("fixture not present: %v", err)
	}
	ws, err := checks.NewWorkspace(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := &checks.State{Findings: []checks.Finding{
		{Rule: "kafka-security", File: "cmd/dashflow-cli/tail.go", Line: 19, Message: "consumer without KafkaSecurityConfig"},
		{Rule: "kafka-security", File: "internal/streaming/kafka.go", Line: 13, Message: "admin without KafkaSecurityConfig"},
	}}
	if err := Stage.Run(context.Background(), ws, st); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"docs/CONFIGURATION.md": false, "WORKER_DIRECTIVE.md": false, "ROADMAP_CURRENT.md": false}
	for _, f := range st.Findings {
		if f.Rule != "claim-failing" || f.Key != "M-413" {
			continue
		}
		if _, ok := want[f.File]; !ok {
			t.Errorf("unexpected claim-failing in %s", f.File)
		}
		want[f.File] = true
		if len(f.Related) == 0 || f.Related[len(f.Related)-1].File != "internal/streaming/kafka.go" {
			t.Errorf("%s: evidence %+v", f.File, f.Related)
		}
	}
	for file, seen := range want {
		if !seen {
			t.Errorf("M-413 not re-opened in %s", file)
		}
	}
	n := 0
	for _, c := range st.Claims {
		if c.ID == "M-413" {
			n++
			if c.Verified || len(c.Failing) != 2 {
				t.Errorf("claim %+v", c)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d M-413 claims, want 3", n)
	}
}

func TestStageSkipsNestedModulesAndOutsideSymlinks(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "ROADMAP.md"), "- [x] M-1 done\n")
	write(filepath.Join(root, "sub", "go.mod"), "module sub\n")
	write(filepath.Join(root, "sub", "ROADMAP.md"), "- [x] M-2 done\n")
	write(filepath.Join(outside, "ROADMAP_X.md"), "- [x] M-3 done\n")
	if err := os.Symlink(filepath.Join(outside, "ROADMAP_X.md"), filepath.Join(root, "ROADMAP_X.md")); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	cfg := checks.DefaultConfig()
	cfg.Claims.Docs = []string{"**/ROADMAP*.md"}
	ws, err := checks.NewWorkspace(root, cfg)
	if err != nil {
		t.Fatal(err)
	}
	st := &checks.State{}
	if err := Stage.Run(context.Background(), ws, st); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range st.Claims {
		ids = append(ids, c.ID)
	}
	if strings.Join(ids, " ") != "M-1" {
		t.Errorf("claims %v: want only M-1 (nested module and outside symlink skipped)", ids)
	}
}
