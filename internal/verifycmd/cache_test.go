package verifycmd

import (
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/checks/cache"
)

// TestMain keeps the package's tests off the user's result cache: each test that wants
// the cache points STREAMAUDIT_CACHE at its own directory.
func TestMain(m *testing.M) {
	os.Setenv(cache.EnvVar, "off")
	os.Exit(m.Run())
}

const allFormats = "md,json,sarif,junit,github,text"

// reportFiles runs verify with -o into a fresh directory and returns every report file.
func reportFiles(t *testing.T, args ...string) (map[string]string, int) {
	t.Helper()
	out := t.TempDir()
	code, _, stderr := runVerify(append([]string{"-format", allFormats, "-o", out}, args...)...)
	if code == ExitError {
		t.Fatalf("verify %v: exit 2: %s", args, stderr)
	}
	files := map[string]string{}
	es, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(out, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	if len(files) != 6 {
		t.Fatalf("verify %v wrote %d report files, want 6", args, len(files))
	}
	return files, code
}

func sameReports(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %s differs from a fresh run:\n--- fresh:\n%.2000s\n--- got:\n%.2000s", what, name, w, got[name])
		}
	}
}

// cacheEntries lists the result files in a cache directory.
func cacheEntries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(dir, "results"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestResultCacheReplaysIdenticalReports: on the drifted fixture, the run that fills the
// cache and the run that replays it write every report format byte for byte as a run
// without the cache, also with a baseline; the replay really comes from the cache (a
// planted entry is what it prints) and a corrupt entry is ignored and rewritten.
func TestResultCacheReplaysIdenticalReports(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(cache.EnvVar, dir)
	baseline := filepath.Join(fixtureV7, "report-v6.json")

	fresh, freshCode := reportFiles(t, "-cache=false", fixtureV7)
	if n := len(cacheEntries(t, dir)); n != 0 {
		t.Fatalf("-cache=false wrote %d cache entries", n)
	}
	filled, code1 := reportFiles(t, fixtureV7)
	entries := cacheEntries(t, dir)
	if len(entries) != 1 {
		t.Fatalf("cache entries after one run: %v, want 1", entries)
	}
	replayed, code2 := reportFiles(t, fixtureV7)
	if code1 != freshCode || code2 != freshCode {
		t.Errorf("exit codes fresh %d, filling %d, replay %d", freshCode, code1, code2)
	}
	sameReports(t, "filling run", fresh, filled)
	sameReports(t, "replayed run", fresh, replayed)

	freshBase, _ := reportFiles(t, "-cache=false", "-baseline", baseline, fixtureV7)
	replayedBase, _ := reportFiles(t, "-baseline", baseline, fixtureV7)
	sameReports(t, "replayed run with -baseline", freshBase, replayedBase)
	if n := len(cacheEntries(t, dir)); n != 1 {
		t.Errorf("-baseline made a new cache entry (%d entries): it only changes the rendering", n)
	}

	// Plant a different report under the run's key: the next run must print it.
	raw, err := hex.DecodeString(filepath.Base(entries[0]))
	if err != nil || len(raw) != len(cache.Key{}) {
		t.Fatalf("entry name %s is not a key", entries[0])
	}
	var k cache.Key
	copy(k[:], raw)
	var rep checks.Report
	if err := json.Unmarshal([]byte(fresh["report.json"]), &rep); err != nil {
		t.Fatal(err)
	}
	rep.Findings = rep.Findings[:1]
	rep.Summary = checks.Summarize(rep.Findings)
	planted, _ := json.Marshal(&rep)
	store, err := cache.Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Put(k, planted); err != nil {
		t.Fatal(err)
	}
	got, _, stderr := verifyJSON(t, fixtureV7)
	if got == nil || len(got.Findings) != 1 {
		t.Fatalf("with a planted entry: %v findings (stderr %s), want the planted 1", got, stderr)
	}

	// A corrupt entry is a miss: a fresh result, and the entry is written again.
	if err := os.WriteFile(entries[0], []byte("streamaudit-result v1\ngarbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	afterCorrupt, _ := reportFiles(t, fixtureV7)
	sameReports(t, "run over a corrupt entry", fresh, afterCorrupt)
	if _, ok := store.Get(k); !ok {
		t.Error("the corrupt entry was not replaced by a valid one")
	}
}

// TestResultCacheSeesEdits: on a copy of the fixture, editing a Go file changes the
// replayed result exactly as a fresh run sees it; editing it back replays the first one.
func TestResultCacheSeesEdits(t *testing.T) {
	t.Setenv(cache.EnvVar, t.TempDir())
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(fixtureV7)); err != nil {
		t.Fatal(err)
	}
	first, _ := reportFiles(t, root)
	if !strings.Contains(first["report.json"], "DASHSTREAM_KAFKA_BROKERS") {
		t.Fatalf("the fixture report lacks the expected variable: %.500s", first["report.json"])
	}
	main := filepath.Join(root, "cmd", "quality-aggregator", "main.go")
	orig, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	edited := string(orig) + "\nfunc cacheEditProbe() string { return os.Getenv(\"CACHE_EDIT_PROBE\") }\n"
	if err := os.WriteFile(main, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	afterEdit, _ := reportFiles(t, root)
	freshEdit, _ := reportFiles(t, "-cache=false", root)
	sameReports(t, "after the edit", freshEdit, afterEdit)
	if !strings.Contains(afterEdit["report.json"], "CACHE_EDIT_PROBE") {
		t.Errorf("the edit (a new env read) is not in the report after it")
	}
	if err := os.WriteFile(main, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	back, _ := reportFiles(t, root)
	sameReports(t, "after undoing the edit", first, back)
}

// TestResultCacheNotUsedForLoadErrors: a run with go-load findings (which can come from
// the environment, e.g. a module missing from the module cache) is not stored.
func TestResultCacheNotUsedForLoadErrors(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(cache.EnvVar, dir)
	tree := writeTree(t, map[string]string{
		"go.mod":  "module example.com/r\n\ngo 1.26\n",
		"main.go": "package main\n\nfunc main() { var x int = \"a\"; _ = x }\n",
	})
	if code, _, stderr := runVerify("-format", "json", tree); code == ExitError {
		t.Fatalf("exit 2: %s", stderr)
	}
	if n := len(cacheEntries(t, dir)); n != 0 {
		t.Errorf("%d cache entries for a run with go-load findings, want 0", n)
	}
}

// TestFixtureSameInBothDependencyModes: on the drifted fixture, loading dependencies from
// export data (the default) reports exactly what type-checking them from source does
// (go.dependencies: source, the loader before export data): every finding, inventory entry
// and claim.
func TestFixtureSameInBothDependencyModes(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: type-checks every dependency of the fixture from source")
	}
	cfg, err := os.ReadFile(filepath.Join(fixtureV7, ".streamaudit.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(cfg), "go:\n", "go:\n  dependencies: source\n", 1)
	if src == string(cfg) {
		t.Fatal("the fixture's config has no go: section to extend")
	}
	srcCfg := filepath.Join(t.TempDir(), "source.yaml")
	if err := os.WriteFile(srcCfg, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, export, _ := runV7(t)
	code, source, stderr := runVerify("-format", "json", "-config", srcCfg, fixtureV7)
	if code == ExitError {
		t.Fatalf("go.dependencies: source: exit 2: %s", stderr)
	}
	if string(export) != source {
		t.Errorf("reports differ between go.dependencies export and source:\n--- export:\n%.3000s\n--- source:\n%.3000s", export, source)
	}
}
