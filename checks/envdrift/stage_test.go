package envdrift

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/streamaudit/streamaudit/checks"
)

// runDir runs the stage on dir once per test binary (loading Go packages is the cost).
var runDir = func() func(t *testing.T, dir string) *checks.State {
	var mu sync.Mutex
	cache := map[string]*checks.State{}
	return func(t *testing.T, dir string) *checks.State {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if st := cache[dir]; st != nil {
			return st
		}
		ws, err := checks.NewWorkspace(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		st := &checks.State{}
		if err := Stage.Run(context.Background(), ws, st); err != nil {
			t.Fatal(err)
		}
		checks.FinishFindings(st.Findings)
		cache[dir] = st
		return st
	}
}()

func find(fs []checks.Finding, rule, file string, line int, key string) *checks.Finding {
	for i, f := range fs {
		if f.Rule == rule && f.File == file && (line == 0 || f.Line == line) && (key == "" || strings.Contains(f.Key, key)) {
			return &fs[i]
		}
	}
	return nil
}

func dump(fs []checks.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %s %s:%d key=%s: %s", f.Rule, f.File, f.Line, f.Key, f.Message)
	}
	return b.String()
}

// TestDriftFixture runs the whole stage on testdata/drift: a module with helpers,
// config-library stubs, docs, a script, a Helm chart, compose and .env.
func TestDriftFixture(t *testing.T) {
	st := runDir(t, "testdata/drift")
	fs := st.Findings
	want := []struct {
		rule, file string
		line       int
		key        string
	}{
		{"env-doc-stale", "README.md", 23, "DASHSTREAM_TOPIC"},
		{"env-deprecated-prefix", "README.md", 23, "DASHSTREAM_TOPIC"},
		{"env-doc-stale", "examples/run.sh", 3, "DASHSTREAM_KAFKA_BROKERS"},
		{"env-deprecated-prefix", "examples/run.sh", 3, "DASHSTREAM_KAFKA_BROKERS"},
		{"env-set-not-read", "deploy/helm/app/values.yaml", 5, "KAFKA_AUTO_OFFSET_RESET@./cmd/exporter"},
		{"env-set-not-read", "examples/run.sh", 7, "KAFKA_AUTO_OFFSET_RESET@./cmd/exporter"},
		{"env-set-not-read", "docker-compose.yml", 12, "KAFKA_BROKERS@./cmd/server"},
		{"env-undocumented", "cmd/server/main.go", 28, "SERVER_ONLY_UNDOCUMENTED"},
		{"env-dynamic-read", "cmd/server/main.go", 18, ""},
		{"env-dynamic-read", "internal/conf/conf.go", 50, ""},
		{"env-missing-in-deploy", "deploy/helm/app/templates/exporter.yaml", 9, "exporter:KAFKA_SASL_PASSWORD,KAFKA_SECURITY_PROTOCOL"},
	}
	for _, w := range want {
		if find(fs, w.rule, w.file, w.line, w.key) == nil {
			t.Errorf("missing %s at %s:%d (%s); got:%s", w.rule, w.file, w.line, w.key, dump(fs))
		}
	}
	if len(fs) != len(want) {
		t.Errorf("got %d findings, want exactly %d:%s", len(fs), len(want), dump(fs))
	}
	// the hard-coded location is the evidence of set-not-read
	f := find(fs, "env-set-not-read", "deploy/helm/app/values.yaml", 5, "")
	if f != nil && (!strings.Contains(f.Evidence, "cmd/exporter/main.go:11") || !strings.Contains(f.Evidence, "ConsumeResetOffset") ||
		len(f.Related) == 0 || f.Related[0].File != "cmd/exporter/main.go") {
		t.Errorf("set-not-read evidence %q related %v: want the ConsumeResetOffset call", f.Evidence, f.Related)
	}
	if f := find(fs, "env-set-not-read", "examples/run.sh", 7, ""); f != nil && f.Severity != checks.SeverityWarning {
		t.Errorf("a script is not a deployment: severity %s, want warning", f.Severity)
	}
	if f := find(fs, "env-set-not-read", "docker-compose.yml", 12, ""); f != nil && f.Severity != checks.SeverityError {
		t.Errorf("compose: severity %s, want error", f.Severity)
	}
	if f := find(fs, "env-doc-stale", "examples/run.sh", 3, ""); f != nil && !strings.Contains(f.Fix, "KAFKA_BROKERS") {
		t.Errorf("stale fix %q should name the variable read instead", f.Fix)
	}
	if f := find(fs, "env-dynamic-read", "cmd/server/main.go", 0, ""); f != nil && f.Severity != checks.SeverityInfo {
		t.Errorf("dynamic read severity %s", f.Severity)
	}
}

// TestDriftInventory checks the typed read inventory: helpers through consts and
// concatenation, lookup functions passed as values, closures, ExpandEnv, struct-tag
// libraries with prefixes, viper and urfave/cli; tests and os.Environ pass-through are
// not reads.
func TestDriftInventory(t *testing.T) {
	st := runDir(t, "testdata/drift")
	inv := map[string]checks.EnvVar{}
	for _, v := range st.Inventory.Env {
		inv[v.Name] = v
	}
	reads := map[string]string{
		"KAFKA_BROKERS":           "./cmd/exporter",
		"KAFKA_TOPIC":             "./cmd/exporter ./cmd/server",
		"KAFKA_GROUP_ID":          "./cmd/exporter ./cmd/server",
		"KAFKA_SECURITY_PROTOCOL": "./cmd/exporter ./cmd/server",
		"KAFKA_SASL_PASSWORD":     "./cmd/exporter ./cmd/server",
		"KAFKA_CLIENT_ID":         "./cmd/exporter ./cmd/server",
		"KAFKA_CLIENT_RACK":       "./cmd/exporter ./cmd/server",
		"KAFKA_METHOD_KEY":        "./cmd/exporter ./cmd/server",
		"KAFKA_GENERIC_KEY":       "./cmd/exporter ./cmd/server",
		"KAFKA_FIELD_KEY":         "./cmd/exporter ./cmd/server",
		"KAFKA_FIELD_ASSIGNED":    "./cmd/exporter ./cmd/server",
		"KAFKA_AUTO_OFFSET_RESET": "./cmd/server",
		"APP_BROKERS":             "./cmd/libs",
		"APP_HTTP_PORT":           "./cmd/libs",
		"MYAPP_DEBUG":             "./cmd/libs",
		"MYAPP_MAX_RETRIES":       "./cmd/libs",
		"MYAPP_DB_USER":           "./cmd/libs",
		"DB_USER":                 "./cmd/libs",
		"SVC_HOST":                "./cmd/libs",
		"SVC_DB_NAME":             "./cmd/libs",
		"VP_DB_HOST":              "./cmd/libs",
		"VIPER_TOKEN":             "./cmd/libs",
		"CLI_BROKERS":             "./cmd/libs",
		"CLI_GROUP_ID":            "./cmd/cli",
		"CLI_TOPIC":               "./cmd/cli",
		"PF_LOG_LEVEL":            "./cmd/cli",
		"FFAPP_MAX_BATCH_SIZE":    "./cmd/cli",
		"KAFKA_SSL_CA_LOCATION":   "./cmd/exporter ./cmd/server",
		"KAFKA_SSL_KEY_LOCATION":  "./cmd/exporter ./cmd/server",
		"KAFKA_DLQ_TOPIC":         "./cmd/exporter ./cmd/server",
		"KAFKA_DLQ_MODE":          "./cmd/exporter ./cmd/server",
	}
	for name, bins := range reads {
		v, ok := inv[name]
		if !ok {
			t.Errorf("%s missing from the inventory", name)
			continue
		}
		if got := strings.Join(v.ReadBy, " "); got != bins {
			t.Errorf("%s read_by %q, want %q", name, got, bins)
		}
	}
	for _, name := range []string{"CLI_LOG_LEVEL", "PF_TOPIC", "TEST_ONLY_VAR", "APP_UNTAGGED", "MYAPP_IGNORED", "A", "PROSE_ONLY_VAR", "MAX_BATCH_SIZE"} {
		if v, ok := inv[name]; ok && len(v.ReadBy) > 0 {
			t.Errorf("%s must not be read by a binary: %+v", name, v)
		}
	}
	if v := inv["KAFKA_AUTO_OFFSET_RESET"]; strings.Join(v.SetIn, " ") != "deploy/helm/app/values.yaml:5 examples/run.sh:7" || strings.Join(v.DocumentedIn, " ") != "README.md:10" {
		t.Errorf("KAFKA_AUTO_OFFSET_RESET set_in %v documented_in %v", v.SetIn, v.DocumentedIn)
	}
	if v := inv["KAFKA_TOPIC"]; strings.Join(v.ReadAt, " ") != "internal/conf/conf.go:25" {
		t.Errorf("KAFKA_TOPIC read_at %v: want the Topic helper call with the constant key", v.ReadAt)
	}
}

// TestDashstreamFixture is the acceptance check on fixtures/dashstream-v7.
func TestDashstreamFixture(t *testing.T) {
	dir := filepath.Join("..", "..", "fixtures", "dashstream-v7")
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Skipf("fixture not present: %v", err)
	}
	if testing.Short() {
		t.Skip("loads the fixture's Go packages; skipped with -short")
	}
	fs := runDir(t, dir).Findings
	tpl := "deploy/helm/dashstream/templates/prometheus-exporter.yaml"
	f := find(fs, "env-set-not-read", tpl, 25, "KAFKA_AUTO_OFFSET_RESET@./cmd/prometheus-exporter")
	if f == nil {
		t.Fatalf("no env-set-not-read for the exporter's KAFKA_AUTO_OFFSET_RESET:%s", dump(fs))
	}
	if !strings.Contains(f.Evidence, "cmd/prometheus-exporter/main.go:47") {
		t.Errorf("evidence %q: want the hard-coded AtStart() at cmd/prometheus-exporter/main.go:47", f.Evidence)
	}
	for _, w := range []struct {
		rule, file string
		line       int
		key        string
	}{
		{"env-doc-stale", "docs/PRODUCTION_DEPLOYMENT_GUIDE.md", 7, "DASHSTREAM_KAFKA_BROKERS"},
		{"env-doc-stale", "docs/PRODUCTION_DEPLOYMENT_GUIDE.md", 8, "DASHSTREAM_TOPIC"},
		{"env-doc-stale", "docs/PRODUCTION_DEPLOYMENT_GUIDE.md", 9, "DASHSTREAM_CONSUMER_GROUP"},
		{"env-doc-stale", "examples/tail.sh", 4, "DASHSTREAM_KAFKA_BROKERS"},
		{"env-doc-stale", "examples/tail.sh", 5, "DASHSTREAM_TOPIC"},
		{"env-doc-stale", "examples/replay.sh", 4, "DASHSTREAM_KAFKA_BROKERS"},
		{"env-deprecated-prefix", "docs/PRODUCTION_DEPLOYMENT_GUIDE.md", 7, ""},
		{"env-deprecated-prefix", "examples/tail.sh", 4, ""},
		{"env-deprecated-prefix", "examples/replay.sh", 4, ""},
		{"env-missing-in-deploy", tpl, 0, "KAFKA_SECURITY_PROTOCOL"},
		{"env-missing-in-deploy", "deploy/helm/dashstream/templates/websocket-server.yaml", 0, "KAFKA_SASL_PASSWORD"},
	} {
		if find(fs, w.rule, w.file, w.line, w.key) == nil {
			t.Errorf("missing %s at %s:%d (%s)", w.rule, w.file, w.line, w.key)
		}
	}
}

// TestSymlinksLeavingRootAreNotFollowed: a doc and a script that are symlinks to files
// outside the audited root contribute nothing.
func TestSymlinksLeavingRootAreNotFollowed(t *testing.T) {
	outside := t.TempDir()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.md"), []byte("`OUTSIDE_DOC_VAR`\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "run.sh"), []byte("export OUTSIDE_SCRIPT_VAR=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "README.md"), []byte("`INSIDE_DOC_VAR`\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeMinimalModule(t, root)
	os.MkdirAll(filepath.Join(root, "scripts"), 0o755)
	if err := os.Symlink(filepath.Join(outside, "secret.md"), filepath.Join(root, "LINKED.md")); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	if err := os.Symlink(filepath.Join(outside, "run.sh"), filepath.Join(root, "scripts", "run.sh")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "docs")); err != nil {
		t.Fatal(err)
	}
	ws, err := checks.NewWorkspace(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := &checks.State{}
	if err := Stage.Run(context.Background(), ws, st); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range st.Findings {
		got = append(got, f.Key)
	}
	if strings.Join(got, " ") != "INSIDE_DOC_VAR" {
		t.Errorf("findings %v: want only INSIDE_DOC_VAR (symlinks leaving the root must not be read)", got)
	}
	if _, err := ws.ReadFile("LINKED.md"); err == nil {
		t.Error("ReadFile followed a symlink out of the root")
	}
}

// TestExtensionlessScripts: files listed in env.scripts, and shebang scripts among the
// deploy files, are read as shell; other extension-less files are not.
func TestExtensionlessScripts(t *testing.T) {
	root := t.TempDir()
	write := func(rel, s string) {
		t.Helper()
		p := filepath.Join(root, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(".streamaudit.yaml", "version: 1\nenv:\n  scripts: [\"ci/*\"]\n  deploy: [\"deploy/**\"]\n")
	write("ci/run", "export STALE_CI_VAR=1\n")
	write("deploy/install", "#!/usr/bin/env bash\nexport STALE_DEPLOY_VAR=1\n")
	write("deploy/NOTES", "export NOT_A_SCRIPT_VAR=1\n")
	writeMinimalModule(t, root)
	ws, err := checks.NewWorkspace(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := &checks.State{}
	if err := Stage.Run(context.Background(), ws, st); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range checks.FinishFindings(st.Findings) {
		got = append(got, f.Rule+":"+f.Key)
	}
	if want := "env-doc-stale:STALE_CI_VAR env-doc-stale:STALE_DEPLOY_VAR"; strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
}

// writeMinimalModule makes root a Go module with one binary that reads nothing, so the
// rules that compare against the code's reads run.
func writeMinimalModule(t *testing.T, root string) {
	t.Helper()
	os.MkdirAll(filepath.Join(root, "cmd", "app"), 0o755)
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/tmp\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "cmd", "app", "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBinariesConfig: an env.binaries entry naming no main package is a config-invalid
// finding; a valid one is not.
func TestBinariesConfig(t *testing.T) {
	root := t.TempDir()
	writeMinimalModule(t, root)
	cfg := checks.DefaultConfig()
	cfg.Env.Binaries = map[string]string{"app": "./cmd/app", "gone": "./cmd/gone"}
	ws, err := checks.NewWorkspace(root, cfg)
	if err != nil {
		t.Fatal(err)
	}
	st := &checks.State{}
	if err := Stage.Run(context.Background(), ws, st); err != nil {
		t.Fatal(err)
	}
	if len(st.Findings) != 1 || st.Findings[0].Rule != "config-invalid" || !strings.Contains(st.Findings[0].Message, "./cmd/gone") || !strings.Contains(st.Findings[0].Message, "./cmd/app") {
		t.Fatalf("findings:%s", dump(st.Findings))
	}
}
