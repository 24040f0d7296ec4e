package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// vetPass runs one go vet over pkgs in dir, with vettool when set, and returns its wall
// and CPU time. go vet caches results per package and analyzer configuration, and -c
// (context lines) is not part of the key: every pass sets an analyzer flag to a new value
// that matches nothing (plain vet: -printf.funcs; kafkavet: -kafkasecurity.providers), so
// both sides really analyse, dependencies included, instead of replaying the cache.
func vetPass(b *testing.B, dir, pkgs, vettool string, nonce int64) (wall, cpu time.Duration) {
	args := []string{"vet"}
	flag := "printf.funcs"
	if vettool != "" {
		args = append(args, "-vettool="+vettool)
		flag = "kafkasecurity.providers"
	}
	args = append(args, fmt.Sprintf("-%s=example.com/benchnonce.F%d", flag, nonce), pkgs)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		// Findings make vet exit 1; anything else is a broken benchmark.
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			b.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out.String())
		}
	}
	return time.Since(t0), cpuOf(cmd)
}

// vetPairs is how many plain/kafkavet pairs one benchmark iteration runs (BENCH_VET_PAIRS,
// default 3).
func vetPairs() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_VET_PAIRS")); err == nil && n > 0 {
		return n
	}
	return 3
}

// benchVetPair compares go vet -vettool=kafkavet with plain go vet on the same packages by
// interleaved passes (plain then kafkavet, then kafkavet then plain, ...), so that drift in
// the machine's load falls on both sides alike; separate benchmarks run minutes apart and
// their single passes spread by 5-15 %, as wide as the margin measured. One untimed pass
// of each comes first: on a fresh machine the first vet also compiles the export data of
// every dependency, which is the build's cost, not the analysers'. It reports the ratios
// of the summed wall and CPU times (kafkavet/plain, kafkavet/plain-cpu) and each side's
// mean per pass.
func benchVetPair(b *testing.B, dir, pkgs string) {
	kafkavet := filepath.Join(tools(b), "kafkavet")
	nonce := time.Now().UnixNano() % 1e9
	vetPass(b, dir, pkgs, "", nonce)
	vetPass(b, dir, pkgs, kafkavet, nonce)
	var plainWall, plainCPU, kvWall, kvCPU time.Duration
	passes := 0
	for b.Loop() {
		for i := 0; i < vetPairs(); i++ {
			nonce++
			order := []string{"", kafkavet}
			if passes%2 == 1 {
				order[0], order[1] = order[1], order[0]
			}
			for _, tool := range order {
				w, c := vetPass(b, dir, pkgs, tool, nonce)
				if tool == "" {
					plainWall, plainCPU = plainWall+w, plainCPU+c
				} else {
					kvWall, kvCPU = kvWall+w, kvCPU+c
				}
			}
			passes++
		}
	}
	b.ReportMetric(kvWall.Seconds()/plainWall.Seconds(), "kafkavet/plain")
	b.ReportMetric(kvCPU.Seconds()/plainCPU.Seconds(), "kafkavet/plain-cpu")
	b.ReportMetric(float64(plainWall.Nanoseconds())/float64(passes), "plain-ns/pass")
	b.ReportMetric(float64(kvWall.Nanoseconds())/float64(passes), "kafkavet-ns/pass")
}

// cpuOf is the CPU time (user + system) a finished command used, the children it waited
// for included (go vet's vettool and compiler runs).
func cpuOf(cmd *exec.Cmd) time.Duration {
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// BenchmarkVetPair: this repository's ./streamsvc/... (the packages that use Kafka).
func BenchmarkVetPair(b *testing.B) { benchVetPair(b, root, vetPackages) }

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

// BenchmarkVetPairExt: ./... of BENCH_EXT_REPO.
func BenchmarkVetPairExt(b *testing.B) { benchVetPair(b, extRepo(b), "./...") }

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
