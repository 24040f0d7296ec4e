package verifycmd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamaudit/streamaudit/checks"
)

func runVerify(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestUsageErrors(t *testing.T) {
	dir := writeTree(t, map[string]string{"README.md": "# demo\n"})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad format", []string{"-format", "pdf", dir}, `format "pdf": want one of text, md, json, sarif, junit, github`},
		{"bad fail-on", []string{"-fail-on", "fatal", dir}, `-fail-on="fatal": want error, warning, info or never`},
		{"unknown flag", []string{"-frobnicate", dir}, "flag provided but not defined: -frobnicate"},
		{"two dirs", []string{dir, dir}, "want at most one directory"},
		{"missing dir", []string{filepath.Join(dir, "nope")}, "audit root: stat " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{"file as dir", []string{filepath.Join(dir, "README.md")}, "not a directory"},
		{"missing baseline", []string{"-baseline", filepath.Join(dir, "old.json"), dir}, "baseline: open " + filepath.Join(dir, "old.json")},
		{"missing config", []string{"-config", filepath.Join(dir, "x.yaml"), dir}, "config: open " + filepath.Join(dir, "x.yaml")},
		{"report without file", []string{"report"}, "want one report.json"},
		{"config is a directory", []string{"-config", dir, dir}, "config: read " + dir + ": is a directory"},
		{"baseline not JSON", []string{"-baseline", filepath.Join(dir, "README.md"), dir}, "baseline " + filepath.Join(dir, "README.md") + ":1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runVerify(tc.args...)
			if code != ExitError {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tc.want)
			}
		})
	}
}

func TestBadConfigNamesFileAndLine(t *testing.T) {
	dir := writeTree(t, map[string]string{
		".streamaudit.yaml": "version: 1\nrules:\n  files: [\"a.yml\"]\n  must_alrt: [\"x\"]\nseverity:\n  kafka-security: fatal\n",
		"README.md":         "# demo\n",
	})
	code, _, stderr := runVerify(dir)
	if code != ExitError {
		t.Fatalf("exit %d, want 2; stderr: %s", code, stderr)
	}
	cfg := filepath.Join(dir, ".streamaudit.yaml")
	for _, want := range []string{cfg + ":4: field must_alrt not found", `severity.kafka-security: "fatal": want error, warning, info or off`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestEmptyDirectory(t *testing.T) {
	code, _, stderr := runVerify(t.TempDir())
	if code != ExitError || !strings.Contains(stderr, "nothing to audit") {
		t.Errorf("exit %d, stderr %q; want 2 and a 'nothing to audit' message", code, stderr)
	}
}

// TestRepoThatDoesNotTypeCheck: a type error yields a go-load finding at its position
// (never a crash), and other files still get checked.
func TestRepoThatDoesNotTypeCheck(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"go.mod":  "module example.com/broken\n\ngo 1.26\n",
		"main.go": "package main\n\nfunc main() {\n\tvar x int = \"not an int\"\n\t_ = x\n}\n",
	})
	rep, code, stderr := verifyJSON(t, dir)
	if rep == nil {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	found := false
	for _, f := range rep.Findings {
		if f.Rule == "go-load" && f.File == "main.go" && f.Line == 4 {
			found = true
		}
	}
	if !found {
		t.Errorf("no go-load finding at main.go:4; findings: %+v", rep.Findings)
	}
	if strings.Contains(stderr, "internal error") {
		t.Errorf("a stage panicked: %s", stderr)
	}
}

// Go modules below the root are not loaded with the root's module: each is reported
// (go-load at its go.mod), with or without a module at the root, instead of a run that
// reads as clean; an excluded one is not.
func TestNestedModulesReported(t *testing.T) {
	mod := func(path string) string { return "module " + path + "\n\ngo 1.26\n" }
	main := "package main\n\nfunc main() {}\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"no module at the root", map[string]string{
			"consumer/go.mod": mod("example.com/consumer"), "consumer/main.go": main,
			"producer/go.mod": mod("example.com/producer"), "producer/main.go": main,
		}, []string{"consumer/go.mod", "producer/go.mod"}},
		{"a module at the root and examples", map[string]string{
			"go.mod": mod("example.com/lib"), "lib.go": "package lib\n",
			"examples/a/go.mod": mod("example.com/lib/examples/a"), "examples/a/main.go": main,
			"examples/b/main.go": "package main\n\nfunc main() {}\n", // of the root's module
		}, []string{"examples/a/go.mod"}},
		{"excluded", map[string]string{
			"go.mod": mod("example.com/lib"), "lib.go": "package lib\n",
			".streamaudit.yaml": "version: 1\nexclude: [\"examples/**\"]\n",
			"examples/a/go.mod": mod("example.com/lib/examples/a"), "examples/a/main.go": main,
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, code, stderr := verifyJSON(t, writeTree(t, tc.files))
			if rep == nil {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var got []string
			for _, f := range rep.Findings {
				if f.Rule == "go-load" {
					if f.Line != 1 || !strings.Contains(f.Message, "not checked") || !strings.Contains(f.Fix, "verify "+strings.TrimSuffix(f.File, "/go.mod")) {
						t.Errorf("finding %+v", f)
					}
					got = append(got, f.File)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("go-load findings at %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBrokenGoMod(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"go.mod":  "module example.com/x\n\ngo 1.26\nrequire (\n",
		"main.go": "package main\n\nfunc main() {}\n",
	})
	rep, code, stderr := verifyJSON(t, dir)
	if rep == nil {
		if code != ExitError || stderr == "" {
			t.Fatalf("exit %d with no message", code)
		}
		return
	}
	found := false
	for _, f := range rep.Findings {
		found = found || f.Rule == "go-load"
	}
	if !found {
		t.Errorf("a broken go.mod produced neither exit 2 nor a go-load finding: %+v", rep.Findings)
	}
}

// TestHostileFiles: binary garbage where YAML, JSON, Markdown and shell are expected, a
// symlink leaving the root and a dangling symlink: findings or messages, no panic.
func TestHostileFiles(t *testing.T) {
	garbage := string([]byte{0xff, 0xfe, 0x00, 0x01, '{', '[', ':', 0x80, '\n', '-', ' ', '*', '&', 'a'})
	dir := writeTree(t, map[string]string{
		"deploy/prometheus/alerts.yml": garbage,
		"deploy/grafana/dash.json":     garbage,
		"docs/CONFIGURATION.md":        garbage + "\n| `KAFKA_X` | |\n",
		"scripts/run.sh":               garbage + "\nexport A=$(\n",
		"ROADMAP.md":                   "- [x] M-1 done\n" + garbage,
		"go.mod":                       "module example.com/h\n\ngo 1.26\n",
		"main.go":                      "package main\n\nimport \"os\"\n\nfunc main() { _ = os.Getenv(\"KAFKA_X\") }\n",
	})
	os.Symlink("/etc/passwd", filepath.Join(dir, "docs", "leak.md"))
	os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "deploy", "dangling.yml"))
	code, out, stderr := runVerify("-format", "json", dir)
	if strings.Contains(stderr, "internal error") {
		t.Fatalf("a stage panicked on hostile input:\n%s", stderr)
	}
	if code == ExitError {
		if stderr == "" {
			t.Fatalf("exit 2 without a message")
		}
		return
	}
	var rep checks.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not a JSON report: %v", err)
	}
	for _, f := range rep.Findings {
		if strings.Contains(f.File, "leak.md") || strings.Contains(f.Message, "root:x:0:0") {
			t.Errorf("a symlink leaving the root was followed: %+v", f)
		}
	}
}

func TestSuppressionAppliedAndListed(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"go.mod": "module example.com/s\n\ngo 1.26\n",
		"main.go": "package main\n\nfunc main() {\n" +
			"\t//" + "streamaudit:ignore go-load kept on purpose to test the loader\n" +
			"\tvar x int = \"a\"\n\t_ = x\n" +
			"\t//" + "streamaudit:ignore go-load\n" +
			"\tvar y int = \"b\"\n\t_ = y\n" +
			"}\n",
	})
	rep, code, stderr := verifyJSON(t, "-fail-on", "warning", dir)
	if rep == nil {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var loads, invalid []checks.Finding
	for _, f := range rep.Findings {
		switch f.Rule {
		case "go-load":
			loads = append(loads, f)
		case "suppression-invalid":
			invalid = append(invalid, f)
		}
	}
	if len(rep.Suppressed) != 1 || rep.Suppressed[0].Finding.Line != 5 || rep.Suppressed[0].Reason != "kept on purpose to test the loader" || rep.Suppressed[0].Line != 4 {
		t.Errorf("suppressed = %+v, want the go-load finding at main.go:5 with its reason", rep.Suppressed)
	}
	if len(loads) != 1 || loads[0].Line != 8 {
		t.Errorf("go-load findings = %+v, want only main.go:8 (its directive has no reason)", loads)
	}
	if len(invalid) != 1 || invalid[0].Line != 7 || !strings.Contains(invalid[0].Message, "a reason is required") {
		t.Errorf("suppression-invalid = %+v, want main.go:7 'a reason is required'", invalid)
	}
	if code != ExitFindings {
		t.Errorf("exit %d, want 1 with -fail-on warning", code)
	}
}

func TestSeverityOverride(t *testing.T) {
	dir := writeTree(t, map[string]string{
		".streamaudit.yaml": "version: 1\nseverity:\n  go-load: error\n",
		"go.mod":            "module example.com/s\n\ngo 1.26\n",
		"main.go":           "package main\n\nfunc main() { var x int = \"a\"; _ = x }\n",
	})
	rep, code, _ := verifyJSON(t, dir)
	if rep == nil || code != ExitFindings {
		t.Fatalf("exit %d, want 1 (go-load raised to error)", code)
	}
	off := writeTree(t, map[string]string{
		".streamaudit.yaml": "version: 1\nseverity:\n  go-load: \"off\"\n",
		"go.mod":            "module example.com/s\n\ngo 1.26\n",
		"main.go":           "package main\n\nfunc main() { var x int = \"a\"; _ = x }\n",
	})
	rep, code, _ = verifyJSON(t, "-fail-on", "info", off)
	if rep == nil || code != ExitOK {
		t.Fatalf("exit %d, want 0 (go-load off)", code)
	}
	for _, f := range rep.Findings {
		if f.Rule == "go-load" {
			t.Errorf("go-load reported although severity is off: %+v", f)
		}
	}
}

func TestOutputDirWritesEveryFormat(t *testing.T) {
	dir := writeTree(t, map[string]string{"README.md": "# demo\n"})
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runVerify("-format", "md,json,sarif,junit,github,text", "-o", out, dir)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("-o still wrote to stdout: %q", stdout)
	}
	for _, name := range []string{"report.md", "report.json", "report.sarif", "report.xml", "report.github.txt", "report.txt"} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestChangedMode(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := writeTree(t, map[string]string{
		"go.mod":      "module example.com/c\n\ngo 1.26\n",
		"a/a.go":      "package a\n\nfunc A() { var x int = \"a\"; _ = x }\n",
		"b/b.go":      "package b\n\nfunc B() {}\n",
		"docs/README": "x\n",
	})
	gitIn := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitIn("init", "-q")
	gitIn("add", ".")
	gitIn("commit", "-q", "-m", "init")

	code, _, stderr := runVerify("-changed", "-format", "json", dir)
	if code != ExitOK || !strings.Contains(stderr, "no changed file") {
		t.Errorf("clean tree: exit %d, stderr %q; want 0 and 'no changed file'", code, stderr)
	}
	// Touch b only: a's type error is outside the change and must not be reported.
	os.WriteFile(filepath.Join(dir, "b", "b.go"), []byte("package b\n\nfunc B() { var y int = \"b\"; _ = y }\n"), 0o644)
	rep, code, stderr := verifyJSON(t, "-changed", "-fail-on", "warning", dir)
	if rep == nil {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var files []string
	for _, f := range rep.Findings {
		files = append(files, f.File)
	}
	if strings.Join(files, ",") != "b/b.go" {
		t.Errorf("-changed reported findings in %v, want only b/b.go", files)
	}
	if code != ExitFindings {
		t.Errorf("exit %d, want 1", code)
	}
}

func TestRulesListAndHelp(t *testing.T) {
	code, out, _ := runVerify("rules-list")
	if code != ExitOK || !strings.Contains(out, "kafka-security") || strings.Count(out, "\n") != len(checks.Rules()) {
		t.Errorf("rules-list: exit %d, %d lines, want %d", code, strings.Count(out, "\n"), len(checks.Rules()))
	}
	if code, _, stderr := runVerify("-format", "md", "-h"); code != ExitOK || !strings.Contains(stderr, "-baseline") {
		t.Errorf("-h after a flag: exit %d, stderr %q; want 0 and the flag list", code, stderr)
	}
	code, out, _ = runVerify("help")
	if code != ExitOK || !strings.Contains(out, "-fail-on") || !strings.Contains(out, "Exit codes") {
		t.Errorf("help: exit %d:\n%s", code, out)
	}
}

func TestSoakUsageError(t *testing.T) {
	code, _, stderr := runVerify("soak", "-fail-on", "fatal")
	if code != ExitError || !strings.Contains(stderr, "fail-on") {
		t.Errorf("soak with a bad flag: exit %d, stderr %q; want 2 naming the flag", code, stderr)
	}
}

// TestReportRoundTrip: a saved JSON report rendered again as JSON is unchanged (the
// canonical format carries everything the renderers need).
func TestReportRoundTrip(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"go.mod":  "module example.com/r\n\ngo 1.26\n",
		"main.go": "package main\n\nfunc main() { var x int = \"a\"; _ = x }\n",
	})
	code, first, stderr := runVerify("-format", "json", dir)
	if code == ExitError {
		t.Fatalf("exit 2: %s", stderr)
	}
	saved := filepath.Join(t.TempDir(), "report.json")
	os.WriteFile(saved, []byte(first), 0o644)
	code2, second, stderr := runVerify("report", "-format", "json", saved)
	if code2 != code {
		t.Errorf("verify report exit %d, verify exit %d (%s)", code2, code, stderr)
	}
	if first != second {
		t.Errorf("JSON changed through verify report:\n--- verify:\n%s\n--- verify report:\n%s", first, second)
	}
}
