package kafkareach_test

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/streamaudit/streamaudit/analyzers/internal/kafkareach"
)

// TestFacts checks the package facts: direct and transitive imports of franz-go and of
// a flag library (pflag through cobra), and no fact where neither is reachable.
func TestFacts(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), kafkareach.Analyzer, "plain", "direct", "indirect", "flagged", "viacobra")
}

// TestResult checks the Result the rule analyzers read.
func TestResult(t *testing.T) {
	want := map[string]kafkareach.Result{
		"plain":    {},
		"direct":   {Kafka: true},
		"indirect": {Kafka: true},
		"flagged":  {Flags: true},
		"viacobra": {Kafka: true, Flags: true},
	}
	got := map[string]kafkareach.Result{}
	probe := &analysis.Analyzer{
		Name:     "probe",
		Doc:      "records kafkareach's result",
		Requires: []*analysis.Analyzer{kafkareach.Analyzer},
		Run: func(pass *analysis.Pass) (any, error) {
			got[pass.Pkg.Path()] = *kafkareach.Of(pass)
			return nil, nil
		},
	}
	// The probe exports no facts, so the testdata's fact expectations are not its to meet.
	analysistest.Run(ignoreFactWants{t}, analysistest.TestData(), probe, "plain", "direct", "indirect", "flagged", "viacobra")
	for pkg, w := range want {
		if got[pkg] != w {
			t.Errorf("%s: Result %+v, want %+v", pkg, got[pkg], w)
		}
	}
}

// ignoreFactWants drops analysistest's complaints about unmet fact expectations.
type ignoreFactWants struct{ t *testing.T }

func (w ignoreFactWants) Errorf(format string, args ...any) {
	if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "no fact was reported matching") {
		w.t.Error(msg)
	}
}
