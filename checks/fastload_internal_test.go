package checks

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExportListCache: the external packages' export list is kept on disk and reused by
// the next load; an entry whose export file is gone is listed again, and the load is
// still right.
func TestExportListCache(t *testing.T) {
	cacheDir := t.TempDir()
	t.Setenv("STREAMAUDIT_CACHE", cacheDir)
	root := t.TempDir()
	for name, src := range map[string]string{
		"go.mod": "module example.com/ec\n\ngo 1.26\n",
		"a/a.go": "package a\n\nimport \"strings\"\n\nfunc A(s string) string { return strings.ToUpper(s) }\n",
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	noDisk := false
	load := func() {
		t.Helper()
		ws, err := NewWorkspace(root, nil)
		if err != nil {
			t.Fatal(err)
		}
		ws.Only, ws.Loader, ws.NoDiskCache = []string{"./a"}, FastOnly, noDisk
		pkgs, err := ws.Packages(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(pkgs) != 1 || pkgs[0].Types.Scope().Lookup("A") == nil || pkgs[0].Imports["strings"].Types.Scope().Lookup("ToUpper") == nil {
			t.Fatalf("loaded %v: want a with A, strings with ToUpper", pkgs)
		}
	}
	before := exportLists.Load()
	load()
	if got := exportLists.Load() - before; got != 1 {
		t.Fatalf("first load listed export data %d times, want 1", got)
	}
	load()
	if got := exportLists.Load() - before; got != 1 {
		t.Fatalf("second load listed export data again (%d runs): the on-disk list was not used", got)
	}
	files, _ := filepath.Glob(filepath.Join(cacheDir, "exports", "*"))
	if len(files) != 1 {
		t.Fatalf("export lists on disk: %v, want one", files)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"Path":"strings"`) {
		t.Fatalf("the export list does not name strings: %.300s", data)
	}
	// Export files the build cache has trimmed: the entries are listed again.
	stale := strings.ReplaceAll(string(data), `"Export":"`, `"Export":"/nonexistent`)
	if err := os.WriteFile(files[0], []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	load()
	if got := exportLists.Load() - before; got != 2 {
		t.Fatalf("stale entries: %d export listings in all, want 2", got)
	}
	if data, _ := os.ReadFile(files[0]); strings.Contains(string(data), "/nonexistent") {
		t.Errorf("the stale entries were not rewritten")
	}
	// NoDiskCache (verify -cache=false): the list on disk is neither read nor written.
	info, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	noDisk = true
	load()
	if got := exportLists.Load() - before; got != 3 {
		t.Fatalf("NoDiskCache: %d export listings in all, want 3 (the list on disk must not be used)", got)
	}
	if after, err := os.Stat(files[0]); err != nil || !after.ModTime().Equal(info.ModTime()) {
		t.Errorf("NoDiskCache: the list on disk was rewritten (%v)", err)
	}
}

// TestFastLoaderLeavesExternalDrivers: with GOPACKAGESDRIVER set, go/packages asks that
// driver, so the fast loader must not answer.
func TestFastLoaderLeavesExternalDrivers(t *testing.T) {
	t.Setenv("GOPACKAGESDRIVER", "/nonexistent/driver")
	ws := &Workspace{Root: t.TempDir(), Config: DefaultConfig()}
	if _, err := ws.fastLoad(context.Background(), []string{"./..."}); err == nil || !strings.Contains(err.Error(), "GOPACKAGESDRIVER") {
		t.Errorf("fastLoad with GOPACKAGESDRIVER: %v, want errNotExact naming it", err)
	}
}

// TestTrimExportLists keeps the newest lists only.
func TestTrimExportLists(t *testing.T) {
	dir := t.TempDir()
	base := time.Now()
	for i := 0; i < 5; i++ {
		p := filepath.Join(dir, "list"+string(rune('a'+i)))
		if err := os.WriteFile(p, []byte("[]"), 0o644); err != nil {
			t.Fatal(err)
		}
		mt := base.Add(time.Duration(i) * time.Minute)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	trimExportLists(dir, 3)
	es, _ := os.ReadDir(dir)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "listc,listd,liste" {
		t.Errorf("kept %v, want the three newest (listc, listd, liste)", names)
	}
}
