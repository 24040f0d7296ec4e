package bench

import (
	"path/filepath"
	"testing"
)

// BenchmarkVerifyRepoWarm runs the full `verify` on this repository: the first pass warms
// the Go build cache, the timed passes are what a pre-commit hook costs.
func BenchmarkVerifyRepoWarm(b *testing.B) {
	verify := filepath.Join(tools(b), "verify")
	abs, err := filepath.Abs(root)
	if err != nil {
		b.Fatal(err)
	}
	runTool(b, verify, "-format", "json", "-fail-on", "never", abs)
	b.ResetTimer()
	for b.Loop() {
		runTool(b, verify, "-format", "json", "-fail-on", "never", abs)
	}
}
