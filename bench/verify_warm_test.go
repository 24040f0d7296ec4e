package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// verifyArgs are the arguments of every verify benchmark: the full static run, as a
// pre-commit hook or CI would run it.
var verifyArgs = []string{"-format", "json", "-fail-on", "never"}

// runVerifyEnv runs verify on dir with extra environment (STREAMAUDIT_CACHE) and returns
// the CPU time it used (user + system, its go list children included): on a shared
// machine that is a steadier figure than wall time.
func runVerifyEnv(b *testing.B, verify, dir string, env ...string) time.Duration {
	b.Helper()
	cmd := exec.Command(verify, append(append([]string(nil), verifyArgs...), dir)...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		b.Fatalf("verify %s: %v\n%s", dir, err, errb.String())
	}
	if out.Len() == 0 {
		b.Fatalf("verify %s: no report", dir)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// reportCPU reports the mean CPU time per timed pass as cpu-ns/op.
func reportCPU(b *testing.B, total time.Duration, passes int) {
	if passes > 0 {
		b.ReportMetric(float64(total.Nanoseconds())/float64(passes), "cpu-ns/op")
	}
}

// BenchmarkVerifyRepoWarm runs the full `verify` on this repository twice in a row with
// nothing changed in between, the result cache on (a directory of its own): the first
// pass fills it (and warms the Go build cache), the timed passes are what a pre-commit
// hook costs when nothing changed since the last run (the cache replays the result).
func BenchmarkVerifyRepoWarm(b *testing.B) {
	verify := filepath.Join(tools(b), "verify")
	abs, err := filepath.Abs(root)
	if err != nil {
		b.Fatal(err)
	}
	env := "STREAMAUDIT_CACHE=" + b.TempDir()
	runVerifyEnv(b, verify, abs, env)
	b.ResetTimer()
	var cpu time.Duration
	n := 0
	for ; b.Loop(); n++ {
		cpu += runVerifyEnv(b, verify, abs, env)
	}
	reportCPU(b, cpu, n)
}

// BenchmarkVerifyRepoCold runs the full `verify` on this repository with the result cache
// off: every pass loads the Go packages (the module from source, dependencies from export
// data in the warm Go build cache) and runs every check.
func BenchmarkVerifyRepoCold(b *testing.B) {
	verify := filepath.Join(tools(b), "verify")
	abs, err := filepath.Abs(root)
	if err != nil {
		b.Fatal(err)
	}
	runVerifyEnv(b, verify, abs, "STREAMAUDIT_CACHE=off")
	b.ResetTimer()
	var cpu time.Duration
	n := 0
	for ; b.Loop(); n++ {
		cpu += runVerifyEnv(b, verify, abs, "STREAMAUDIT_CACHE=off")
	}
	reportCPU(b, cpu, n)
}

// oneEditFile is the file BenchmarkVerifyRepoOneEdit edits: a comment line in a leaf
// package of streamsvc.
const oneEditFile = "streamsvc/envelope/envelope.go"

// BenchmarkVerifyRepoOneEdit runs the full `verify`, result cache on, on a copy of this
// repository (its git-listed files, outside git) where one Go file gets a different
// trailing comment before every pass: the pre-commit case "one file edited since the
// last run".
func BenchmarkVerifyRepoOneEdit(b *testing.B) {
	verify := filepath.Join(tools(b), "verify")
	dir := repoCopy(b)
	env := "STREAMAUDIT_CACHE=" + b.TempDir()
	target := filepath.Join(dir, filepath.FromSlash(oneEditFile))
	orig, err := os.ReadFile(target)
	if err != nil {
		b.Fatal(err)
	}
	runVerifyEnv(b, verify, dir, env)
	b.ResetTimer()
	var cpu time.Duration
	n := 0
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		edited := fmt.Appendf(append([]byte(nil), orig...), "\n// benchmark edit %d\n", i)
		if err := os.WriteFile(target, edited, 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cpu += runVerifyEnv(b, verify, dir, env)
		n++
	}
	reportCPU(b, cpu, n)
}

// repoCopy copies the repository's tracked and untracked-but-not-ignored files into a
// temporary directory.
func repoCopy(b *testing.B) string {
	b.Helper()
	cmd := exec.Command("git", "ls-files", "-co", "--exclude-standard", "-z")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		b.Skipf("git ls-files: %v (the one-edit benchmark needs a git work tree)", err)
	}
	dir := b.TempDir()
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, filepath.FromSlash(name))
		st, err := os.Lstat(src)
		if err != nil || !st.Mode().IsRegular() {
			continue // deleted in the work tree, or a symlink
		}
		data, err := os.ReadFile(src)
		if err != nil {
			b.Fatal(err)
		}
		dst := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(dst, data, st.Mode().Perm()); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// changedEditFile is the file BenchmarkVerifyRepoChanged edits: streamsvc/server imports
// eight other packages of the module, the costlier case of a one-package change.
const changedEditFile = "streamsvc/server/server.go"

// BenchmarkVerifyRepoChanged runs `verify -changed` (the pre-commit hook of
// .pre-commit-hooks.yaml) on a git copy of this repository (its git-listed files,
// committed) where one Go file gets a different trailing comment before every pass: what a
// commit touching one package costs. The result cache is on (a directory of its own, which
// the untimed first pass fills with the dependencies' export list), but every pass has an
// edit it has not seen, so none is replayed.
func BenchmarkVerifyRepoChanged(b *testing.B) { benchChanged(b) }

// BenchmarkVerifyRepoChangedGoPackages is BenchmarkVerifyRepoChanged with the loader
// before the fast one (STREAMAUDIT_LOADER=gopackages: go/packages, whose `go list -export`
// recompiles the edited package and its importers in the module): the same run's baseline.
func BenchmarkVerifyRepoChangedGoPackages(b *testing.B) {
	benchChanged(b, "STREAMAUDIT_LOADER=gopackages")
}

func benchChanged(b *testing.B, extraEnv ...string) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git not installed")
	}
	verify := filepath.Join(tools(b), "verify")
	dir := repoCopy(b)
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"commit", "-q", "-m", "copy"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=bench", "GIT_AUTHOR_EMAIL=bench@example.com",
			"GIT_COMMITTER_NAME=bench", "GIT_COMMITTER_EMAIL=bench@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	env := "STREAMAUDIT_CACHE=" + b.TempDir()
	target := filepath.Join(dir, filepath.FromSlash(changedEditFile))
	orig, err := os.ReadFile(target)
	if err != nil {
		b.Fatal(err)
	}
	edit := func(i int) {
		if err := os.WriteFile(target, fmt.Appendf(append([]byte(nil), orig...), "\n// benchmark edit %d %d\n", i, time.Now().UnixNano()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	run := func() time.Duration {
		cmd := exec.Command(verify, append([]string{"-changed"}, append(append([]string(nil), verifyArgs...), dir)...)...)
		cmd.Env = append(append(os.Environ(), env), extraEnv...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			b.Fatalf("verify -changed %s: %v\n%s", dir, err, errb.String())
		}
		if out.Len() == 0 {
			b.Fatalf("verify -changed %s: no report", dir)
		}
		return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	edit(-1)
	run()
	b.ResetTimer()
	var cpu time.Duration
	n := 0
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		edit(i)
		b.StartTimer()
		cpu += run()
		n++
	}
	reportCPU(b, cpu, n)
}
