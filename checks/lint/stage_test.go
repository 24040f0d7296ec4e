package lint_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/checks/lint"
)

// writeModule writes a small module that uses franz-go (resolved from the module cache
// with the repository's go.sum; no network).
func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	sum, err := os.ReadFile("../../go.sum")
	if err != nil {
		t.Fatal(err)
	}
	files["go.mod"] = "module example.com/app\n\ngo 1.26\n\nrequire (\n\tgithub.com/twmb/franz-go v1.22.3\n\tgithub.com/twmb/franz-go/pkg/kmsg v1.15.1\n)\n"
	files["go.sum"] = string(sum)
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const kafkaPkg = `package kafka

import "github.com/twmb/franz-go/pkg/kgo"

// Security returns the TLS option.
func Security() []kgo.Opt { return []kgo.Opt{kgo.DialTLS()} }

// Configured is named in kafka.security_providers.
func Configured() []kgo.Opt { return nil }

// Plain builds a client without security.
func Plain() (*kgo.Client, error) {
	return kgo.NewClient(
		kgo.SeedBrokers("b"),
	)
}

// Secure builds a client through the provider.
func Secure() (*kgo.Client, error) { return kgo.NewClient(append(Security(), kgo.ConsumeTopics("t"))...) }

// ViaConfig is secured only when Configured is configured as a provider.
func ViaConfig() (*kgo.Client, error) { return kgo.NewClient(Configured()...) }
`

const mainPkg = `package main

import "example.com/app/internal/kafka"

func main() {
	kafka.Plain()
	kafka.Secure()
	kafka.ViaConfig()
}
`

func run(t *testing.T, dir string, cfg *checks.Config) *checks.State {
	t.Helper()
	ws, err := checks.NewWorkspace(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOFLAGS", "-mod=mod")
	t.Setenv("GOPROXY", "off")
	st := &checks.State{}
	if err := lint.Stage.Run(context.Background(), ws, st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestStageFindingsAndInventory(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"internal/kafka/kafka.go": kafkaPkg,
		"cmd/app/main.go":         mainPkg,
		// A package that does not type-check: a go-load finding, not a crash.
		"broken/broken.go": "package broken\n\nfunc f() int { return \"x\" }\n",
	})
	cfg := checks.DefaultConfig()
	cfg.Kafka.SecurityProviders = []string{"example.com/app/internal/kafka.Configured"}
	st := run(t, dir, cfg)

	var sec, load []checks.Finding
	for _, f := range st.Findings {
		switch f.Rule {
		case "kafka-security":
			sec = append(sec, f)
		case "go-load":
			load = append(load, f)
		default:
			t.Errorf("unexpected finding %+v", f)
		}
	}
	if len(sec) != 1 {
		t.Fatalf("kafka-security findings = %+v, want exactly the Plain client (all: %+v; errors %v)", sec, st.Findings, st.Errors)
	}
	f := sec[0]
	if f.File != "internal/kafka/kafka.go" || f.Line != 13 || f.EndLine != 15 || f.Confidence != checks.ConfidenceHigh {
		t.Errorf("finding at %s:%d-%d (%s), want internal/kafka/kafka.go:13-15 high", f.File, f.Line, f.EndLine, f.Confidence)
	}
	if f.Evidence != `kgo.NewClient(kgo.SeedBrokers("b"),)` && f.Evidence != `kgo.NewClient(kgo.SeedBrokers("b"))` {
		t.Errorf("evidence %q", f.Evidence)
	}
	if !strings.Contains(f.Fix, `kgo.NewClient(append(Configured(), kgo.SeedBrokers("b"))...)`) {
		t.Errorf("fix %q does not add the provider's options", f.Fix)
	}
	if f.Binary != "./cmd/app" {
		t.Errorf("binary %q, want ./cmd/app", f.Binary)
	}
	if len(load) == 0 || load[0].File != "broken/broken.go" || load[0].Line != 3 {
		t.Errorf("go-load findings = %+v, want one at broken/broken.go:3", load)
	}

	got := map[int]checks.KafkaClient{}
	for _, c := range st.Inventory.KafkaClients {
		got[c.Line] = c
	}
	want := map[int]bool{13: false, 19: true, 22: true}
	for line, secured := range want {
		c, ok := got[line]
		if !ok {
			t.Errorf("no inventory entry at line %d: %+v", line, st.Inventory.KafkaClients)
			continue
		}
		if c.Secured != secured || c.Library != "franz-go" || c.Binary != "./cmd/app" || c.File != "internal/kafka/kafka.go" {
			t.Errorf("inventory line %d = %+v, want secured=%v franz-go ./cmd/app", line, c, secured)
		}
	}
	if got[19].Role != "consumer" {
		t.Errorf("role of the ConsumeTopics client = %q, want consumer", got[19].Role)
	}
}

// Without the configured provider the ViaConfig client is a finding.
func TestStageProvidersFromConfig(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"internal/kafka/kafka.go": kafkaPkg,
		"cmd/app/main.go":         mainPkg,
	})
	st := run(t, dir, checks.DefaultConfig())
	lines := map[int]bool{}
	for _, f := range st.Findings {
		if f.Rule == "kafka-security" {
			lines[f.Line] = true
		}
	}
	if !lines[13] || !lines[22] || len(lines) != 2 {
		t.Errorf("kafka-security lines = %v, want 13 and 22 (findings %+v, errors %v)", lines, st.Findings, st.Errors)
	}
}

// A module outside the audited one (here a replace target next to the root), loaded from
// export data by default: results of its functions are unknown (a low-confidence finding),
// as with source loading, where its function bodies are dropped. Only go.dependencies:
// source sees the //streamaudit:kafka-security directive on its declaration.
func TestStageDependencyModes(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"cmd/app/main.go": `package main

import (
	"example.com/dep"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() { kgo.NewClient(dep.Opts()...) }
`,
	})
	dep := filepath.Join(filepath.Dir(dir), filepath.Base(dir)+"-dep")
	if err := os.MkdirAll(dep, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dep) })
	gomod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	for name, body := range map[string]string{
		"go.mod": "module example.com/dep\n\ngo 1.26\n\nrequire github.com/twmb/franz-go v1.22.3\nrequire github.com/twmb/franz-go/pkg/kmsg v1.15.1\n",
		"dep.go": "package dep\n\nimport \"github.com/twmb/franz-go/pkg/kgo\"\n\n//streamaudit:kafka-security\nfunc Opts() []kgo.Opt { return []kgo.Opt{kgo.DialTLS()} }\n",
	} {
		if err := os.WriteFile(filepath.Join(dep, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sum, _ := os.ReadFile(filepath.Join(dir, "go.sum"))
	os.WriteFile(filepath.Join(dep, "go.sum"), sum, 0o644)
	gomod = append(gomod, []byte("\nrequire example.com/dep v0.0.0\n\nreplace example.com/dep => ../"+filepath.Base(dep)+"\n")...)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), gomod, 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		deps     string
		findings int
	}{
		{"", 1}, // default: export data
		{checks.DepsExport, 1},
		{checks.DepsSource, 0}, // the directive on dep.Opts is seen
	} {
		cfg := checks.DefaultConfig()
		cfg.Go.Dependencies = tc.deps
		st := run(t, dir, cfg)
		var sec []checks.Finding
		for _, f := range st.Findings {
			if f.Rule == "kafka-security" {
				sec = append(sec, f)
			} else {
				t.Errorf("deps=%q: unexpected finding %+v", tc.deps, f)
			}
		}
		if len(st.Errors) > 0 {
			t.Errorf("deps=%q: tool errors %v", tc.deps, st.Errors)
		}
		if len(sec) != tc.findings {
			t.Errorf("deps=%q: kafka-security findings %+v, want %d", tc.deps, sec, tc.findings)
			continue
		}
		if tc.findings == 1 && (sec[0].Confidence != checks.ConfidenceLow || !strings.Contains(sec[0].Message, "result of dep.Opts could not be resolved")) {
			t.Errorf("deps=%q: finding %+v, want low confidence, 'result of dep.Opts could not be resolved'", tc.deps, sec[0])
		}
	}
}

// Loading only one package (verify -changed) still loads the own packages it imports from
// source, so the facts of internal/kafka (Security is a provider) reach cmd/app.
func TestStageOnlyKeepsOwnFacts(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"internal/kafka/kafka.go": kafkaPkg,
		"cmd/app/main.go": `package main

import (
	"example.com/app/internal/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() { kgo.NewClient(kafka.Security()...) }
`,
	})
	for _, deps := range []string{checks.DepsExport, checks.DepsSource} {
		cfg := checks.DefaultConfig()
		cfg.Go.Dependencies = deps
		ws, err := checks.NewWorkspace(dir, cfg)
		if err != nil {
			t.Fatal(err)
		}
		ws.Only = []string{"./cmd/app"}
		t.Setenv("GOFLAGS", "-mod=mod")
		t.Setenv("GOPROXY", "off")
		st := &checks.State{}
		if err := lint.Stage.Run(context.Background(), ws, st); err != nil {
			t.Fatal(err)
		}
		var inApp []checks.KafkaClient
		for _, c := range st.Inventory.KafkaClients {
			if c.File == "cmd/app/main.go" {
				inApp = append(inApp, c)
			}
		}
		if len(inApp) != 1 || !inApp[0].Secured {
			t.Errorf("deps=%s: clients in cmd/app = %+v, want one, secured through kafka.Security (findings %+v, errors %v)", deps, inApp, st.Findings, st.Errors)
		}
		for _, f := range st.Findings {
			if f.File == "cmd/app/main.go" {
				t.Errorf("deps=%s: unexpected finding %+v", deps, f)
			}
		}
		pkgs, _ := ws.Packages(context.Background())
		if len(pkgs) != 1 || pkgs[0].PkgPath != "example.com/app/cmd/app" {
			var got []string
			for _, p := range pkgs {
				got = append(got, p.PkgPath)
			}
			t.Errorf("deps=%s: Packages() = %v, want only the requested example.com/app/cmd/app", deps, got)
		}
	}
}
