package analyzers_test

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/streamaudit/streamaudit/analyzers"
)

// TestBrokenCodeDoesNotPanic runs every analyzer over a package that does not
// type-check: the analyzers that run despite errors must finish without panicking.
func TestBrokenCodeDoesNotPanic(t *testing.T) {
	dir := analysistest.TestData()
	cfg := &packages.Config{
		Mode: packages.LoadAllSyntax,
		Dir:  dir,
		Env:  append(os.Environ(), "GOPATH="+dir, "GO111MODULE=off", "GOPROXY=off", "GOFLAGS="),
	}
	pkgs, err := packages.Load(cfg, "broken")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 1 || len(pkgs[0].Errors) == 0 {
		t.Fatalf("want one package with type errors, got %d packages", len(pkgs))
	}
	graph, err := checker.Analyze(analyzers.New(analyzers.Config{HonorIgnore: true}), pkgs, nil)
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for act := range graph.All() {
		if !act.IsRoot {
			continue
		}
		if act.Err != nil && strings.Contains(act.Err.Error(), "panic") {
			t.Errorf("%s panicked: %v", act.Analyzer.Name, act.Err)
		}
		if act.Err == nil {
			ran++
		}
	}
	if ran < 4 {
		t.Errorf("only %d analyzers ran on the broken package; want the four that run despite errors", ran)
	}
}

func TestRules(t *testing.T) {
	got := strings.Join(analyzers.Rules(), ",")
	want := "kafka-security,kafka-insecure,kafka-hotloop,kafka-cli-env,kafka-dlq-commit"
	if got != want {
		t.Errorf("Rules() = %s, want %s", got, want)
	}
	for i, a := range analyzers.New(analyzers.Config{}) {
		if a.Name != analyzers.All()[i].Name || analyzers.Rule(a) == "" {
			t.Errorf("New()[%d] = %s does not match All() or has no rule", i, a.Name)
		}
	}
}
