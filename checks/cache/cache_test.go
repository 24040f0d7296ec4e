package cache

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func key(s string) Key {
	h := NewHasher("test")
	h.AddString("k", s)
	return h.Sum()
}

func TestPutGetAndCorruptEntries(t *testing.T) {
	c, err := Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	k := key("a")
	if _, ok := c.Get(k); ok {
		t.Fatal("hit on an empty cache")
	}
	if err := c.Put(k, []byte(`{"x":1}`)); err != nil {
		t.Fatal(err)
	}
	got, ok := c.Get(k)
	if !ok || string(got) != `{"x":1}` {
		t.Fatalf("Get = %q, %v", got, ok)
	}
	if _, ok := c.Get(key("b")); ok {
		t.Error("hit for another key")
	}
	good, err := os.ReadFile(c.path(k))
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)-2] ^= 1
	for name, data := range map[string][]byte{
		"truncated":       good[:len(good)-3],
		"payload changed": flipped,
		"empty":           nil,
		"garbage":         []byte("not a cache entry\n"),
		"other key":       encodeEntry(key("b"), []byte(`{"x":1}`)),
	} {
		if err := os.WriteFile(c.path(k), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if got, ok := c.Get(k); ok {
			t.Errorf("%s entry: hit with %q, want a miss", name, got)
		}
	}
	// A miss is repaired by the next Put.
	if err := c.Put(k, []byte("again")); err != nil {
		t.Fatal(err)
	}
	if got, ok := c.Get(k); !ok || string(got) != "again" {
		t.Errorf("after repair: %q, %v", got, ok)
	}
	// No temp files are left behind.
	matches, _ := filepath.Glob(filepath.Join(c.Dir(), "results", "*", ".tmp-*"))
	if len(matches) > 0 {
		t.Errorf("temp files left: %v", matches)
	}
}

func TestTrimRemovesOldestBeyondBound(t *testing.T) {
	c, err := Open(t.TempDir(), 10<<10)
	if err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("x"), 3<<10)
	base := time.Now().Add(-10 * time.Hour)
	for i, name := range []string{"k0", "k1", "k2"} {
		if err := c.Put(key(name), payload); err != nil {
			t.Fatal(err)
		}
		at := base.Add(time.Duration(i) * time.Hour)
		os.Chtimes(c.path(key(name)), at, at)
	}
	// The fourth entry takes the cache over 10 KiB: the oldest go until <= 7.5 KiB.
	if err := c.Put(key("k3"), payload); err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, name := range []string{"k0", "k1", "k2", "k3"} {
		if _, ok := c.Get(key(name)); ok {
			kept = append(kept, name)
		}
	}
	if strings.Join(kept, ",") != "k2,k3" {
		t.Errorf("kept %v, want the two newest (k2,k3)", kept)
	}
}

func TestDirFromEnv(t *testing.T) {
	t.Setenv(EnvVar, "off")
	if _, err := DirFromEnv(); !errors.Is(err, ErrDisabled) {
		t.Errorf("off: %v", err)
	}
	t.Setenv(EnvVar, "relative/dir")
	if _, err := DirFromEnv(); err == nil || !strings.Contains(err.Error(), `"relative/dir"`) {
		t.Errorf("relative: %v", err)
	}
	dir := t.TempDir()
	t.Setenv(EnvVar, dir)
	if got, err := DirFromEnv(); err != nil || got != dir {
		t.Errorf("dir: %q, %v", got, err)
	}
}

// The key names the running binary by its Go build ID, which ends in a hash of the
// binary's content: a rebuilt verify never replays an older binary's results.
func TestBuildIDOfRunningBinary(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	id := buildID(exe)
	if id == "" {
		t.Fatal("no build ID in the test binary")
	}
	out, err := exec.Command("go", "tool", "buildid", exe).Output()
	if err != nil {
		t.Skipf("go tool buildid: %v", err)
	}
	if want := strings.TrimSpace(string(out)); id != want {
		t.Errorf("buildID = %q, go tool buildid = %q", id, want)
	}
}
