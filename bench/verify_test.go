package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// root is the repository root (the benchmarks run in ./bench).
const root = ".."

var (
	toolsOnce sync.Once
	toolsDir  string
	toolsErr  error
)

// tools builds kafkavet and verify once per process.
func tools(b *testing.B) string {
	b.Helper()
	toolsOnce.Do(func() {
		toolsDir, toolsErr = os.MkdirTemp("", "streamaudit-bench-")
		for _, c := range []string{"kafkavet", "verify"} {
			if toolsErr != nil {
				return
			}
			cmd := exec.Command("go", "build", "-o", filepath.Join(toolsDir, c), "./cmd/"+c)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				toolsErr = fmt.Errorf("go build ./cmd/%s: %v\n%s", c, err, out)
			}
		}
	})
	if toolsErr != nil {
		b.Fatal(toolsErr)
	}
	return toolsDir
}

// vetPackages are the packages both vet benchmarks check.
const vetPackages = "./streamsvc/..."

// benchVet runs go vet on pkgs in dir. go vet caches results per package and analyzer
// configuration, and -c (context lines) is not part of the key: every iteration sets an
// analyzer flag to a new value that matches nothing (plain vet: -printf.funcs; kafkavet:
// -kafkasecurity.providers), so both sides really analyse, dependencies included, instead
// of replaying the cache.
func benchVet(b *testing.B, dir, pkgs, vettool, nonceFlag string) {
	args := []string{"vet"}
	if vettool != "" {
		args = append(args, "-vettool="+vettool)
	}
	base := time.Now().UnixNano() % 1e9
	run := func(i int64) *exec.Cmd {
		cmd := exec.Command("go", append(args, fmt.Sprintf("-%s=example.com/benchnonce.F%d", nonceFlag, base+i), pkgs)...)
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			// Findings make vet exit 1; anything else is a broken benchmark.
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				b.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out.String())
			}
		}
		return cmd
	}
	// One untimed pass first: on a fresh machine (or after the build cache was trimmed)
	// the first vet also compiles the export data of every dependency, which is the build's
	// cost, not the analysers'. Whichever side ran first would pay it (it made plain vet
	// look 1.8x slower than kafkavet on a fresh machine). b.Loop resets the timer.
	run(-1)
	var cpu time.Duration
	n := 0
	for i := int64(0); b.Loop(); i++ {
		cpu += cpuOf(run(i))
		n++
	}
	reportCPU(b, cpu, n)
}

// cpuOf is the CPU time (user + system) a finished command used, the children it waited
// for included (go vet's vettool and compiler runs).
func cpuOf(cmd *exec.Cmd) time.Duration {
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

func BenchmarkVetPlain(b *testing.B) { benchVet(b, root, vetPackages, "", "printf.funcs") }

func BenchmarkVetKafkavet(b *testing.B) {
	benchVet(b, root, vetPackages, filepath.Join(tools(b), "kafkavet"), "kafkasecurity.providers")
}

// extRepo returns the Go module the *Ext benchmarks vet: BENCH_EXT_REPO, a repository
// copied outside this one (docs/PERFORMANCE.md names the one measured). Its modules must
// already be in the module cache or reachable through the proxy.
func extRepo(b *testing.B) string {
	b.Helper()
	dir := os.Getenv("BENCH_EXT_REPO")
	if dir == "" {
		b.Skip("BENCH_EXT_REPO not set: set it to a Go module outside this repository (e.g. a copy of github.com/redpanda-data/kminion) to compare kafkavet with go vet on ./... there")
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		b.Skipf("BENCH_EXT_REPO=%s is not a Go module: %v", dir, err)
	}
	return dir
}

func BenchmarkVetPlainExt(b *testing.B) { benchVet(b, extRepo(b), "./...", "", "printf.funcs") }

func BenchmarkVetKafkavetExt(b *testing.B) {
	dir := extRepo(b)
	benchVet(b, dir, "./...", filepath.Join(tools(b), "kafkavet"), "kafkasecurity.providers")
}

// corpusRules copies every rule file of the shared corpus (a top-level groups: key) into
// a fresh directory with a .streamaudit.yaml that selects them, once per process.
var (
	corpusOnce  sync.Once
	corpusDir   string
	corpusFiles []string
	corpusErr   error
)

func corpus(b *testing.B) (string, []string) {
	b.Helper()
	src := os.Getenv("STREAMAUDIT_CORPORA")
	if src == "" {
		src = "/work/shared/corpora"
	}
	if _, err := os.Stat(src); err != nil {
		b.Skipf("rule corpus not available (set STREAMAUDIT_CORPORA): %v", err)
	}
	corpusOnce.Do(func() {
		corpusDir, corpusErr = os.MkdirTemp("", "streamaudit-corpus-")
		if corpusErr != nil {
			return
		}
		n := 0
		corpusErr = filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			ext := filepath.Ext(p)
			if ext != ".yml" && ext != ".yaml" && ext != ".rules" {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if !bytes.HasPrefix(data, []byte("groups:")) && !bytes.Contains(data, []byte("\ngroups:")) {
				return nil
			}
			n++
			dst := filepath.Join(corpusDir, "rules", fmt.Sprintf("%03d-%s.yml", n, strings.TrimSuffix(filepath.Base(p), ext)))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			corpusFiles = append(corpusFiles, dst)
			return os.WriteFile(dst, data, 0o644)
		})
		if corpusErr == nil {
			corpusErr = os.WriteFile(filepath.Join(corpusDir, ".streamaudit.yaml"), []byte("version: 1\nrules:\n  files: [\"rules/*.yml\"]\n"), 0o644)
		}
	})
	if corpusErr != nil {
		b.Fatal(corpusErr)
	}
	return corpusDir, corpusFiles
}

// runTool runs a command whose non-zero exit only reports findings and returns the CPU
// time it used.
func runTool(b *testing.B, name string, args ...string) time.Duration {
	cmd := exec.Command(name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			b.Fatalf("%s: %v", name, err)
		}
		if out.Len() == 0 {
			b.Fatalf("%s exited %v without output", name, err)
		}
	}
	return cpuOf(cmd)
}

// BenchmarkRulesVerify runs `verify rules` with its result cache off: promtool has none
// (as with go vet above, both sides really check).
func BenchmarkRulesVerify(b *testing.B) {
	dir, files := corpus(b)
	verify := filepath.Join(tools(b), "verify")
	var cpu time.Duration
	n := 0
	for ; b.Loop(); n++ {
		// -cache=false: every pass checks the rule files (verify's result cache would
		// replay the first pass's result).
		cpu += runTool(b, verify, "rules", "-cache=false", "-format", "json", "-fail-on", "never", dir)
	}
	reportCPU(b, cpu, n)
	b.ReportMetric(float64(len(files)), "files")
}

func BenchmarkRulesPromtool(b *testing.B) {
	if _, err := exec.LookPath("promtool"); err != nil {
		b.Skip("promtool not installed (scripts/install-deps.sh)")
	}
	_, files := corpus(b)
	var cpu time.Duration
	n := 0
	for ; b.Loop(); n++ {
		cpu += runTool(b, "promtool", append([]string{"check", "rules"}, files...)...)
	}
	reportCPU(b, cpu, n)
	b.ReportMetric(float64(len(files)), "files")
}
