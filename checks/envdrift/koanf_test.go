package envdrift

import (
	"strings"
	"testing"
)

// TestKoanfAndLocalKeys runs the stage on testdata/koanf, modelled on kminion's config:
// a key held in a local variable assigned once resolves; one assigned twice stays
// dynamic; koanf's env provider reads every variable of its prefix (v1 and v2 APIs), and
// without a prefix it is a scan of the whole environment; viper with an env prefix that
// is not known statically reads unknown names (dynamic), with one held in a local it
// resolves. A Dockerfile ARG that a RUN line uses is the build's input, not drift.
func TestKoanfAndLocalKeys(t *testing.T) {
	st := runDir(t, "testdata/koanf")
	inv := map[string][]string{}
	at := map[string][]string{}
	for _, v := range st.Inventory.Env {
		inv[v.Name], at[v.Name] = v.ReadBy, v.ReadAt
	}
	for name, want := range map[string]string{
		"CONFIG_FILEPATH":    "./cmd/kapp",
		"LOG_LEVEL":          "./cmd/kapp",
		"KAPP_KAFKA_BROKERS": "./cmd/kapp",
		"KAPP2_KAFKA_TOPIC":  "./cmd/kapp",
		"UNRELATED_VAR":      "",
		"DOC_ONLY_VAR":       "",
		"POD_NAME":           "",
		"VAPP_PORT":          "./cmd/vapp",
	} {
		if got := strings.Join(inv[name], " "); got != want {
			t.Errorf("%s read_by %q, want %q", name, got, want)
		}
	}
	if got := strings.Join(at["CONFIG_FILEPATH"], " "); got != "cmd/kapp/main.go:14" {
		t.Errorf("CONFIG_FILEPATH read_at %q, want the os.Getenv(envKey) call", got)
	}
	if got := strings.Join(at["KAPP_KAFKA_BROKERS"], " "); got != "cmd/kapp/main.go:26" {
		t.Errorf("KAPP_KAFKA_BROKERS read_at %q, want the env.Provider call", got)
	}
	fs := st.Findings
	for _, want := range []struct {
		rule, file string
		line       int
		key        string
	}{
		{"env-set-not-read", "docker-compose.yml", 11, "UNRELATED_VAR@./cmd/kapp"},
		{"env-set-not-read", "docker-compose.yml", 17, "POD_NAME@./cmd/kscan"},
		{"env-doc-stale", "README.md", 8, "DOC_ONLY_VAR"},
		{"env-doc-stale", "docker-compose.yml", 11, "UNRELATED_VAR"},
		{"env-doc-stale", "docker-compose.yml", 17, "POD_NAME"},
		{"env-doc-stale", "cmd/kapp/Dockerfile", 3, "UNUSED_ARG"}, // declared, never used
		{"env-dynamic-read", "cmd/kapp/main.go", 23, "os.Getenv(changed)"},
		{"env-dynamic-read", "cmd/kscan/main.go", 7, "whole environment"},
		{"env-dynamic-read", "cmd/vapp/main.go", 15, "SetEnvPrefix"},
		{"env-undocumented", "cmd/vapp/main.go", 25, "VAPP_PORT"},
	} {
		if find(fs, want.rule, want.file, want.line, want.key) == nil {
			t.Errorf("missing %s %s:%d %s in%s", want.rule, want.file, want.line, want.key, dump(fs))
		}
	}
	if f := find(fs, "env-dynamic-read", "cmd/kscan/main.go", 7, ""); f != nil && !strings.Contains(f.Fix, "prefix") {
		t.Errorf("koanf scan fix %q: want the prefix advice", f.Fix)
	}
	// COMMIT: an ARG the build consumes (go build -ldflags "-X main.commit=$COMMIT").
	for _, name := range []string{"CONFIG_FILEPATH", "LOG_LEVEL", "KAPP_KAFKA_BROKERS", "KAPP2_KAFKA_TOPIC", "FIRST_KEY", "SECOND_KEY", "COMMIT"} {
		for _, f := range fs {
			if strings.HasPrefix(f.Key, name) && (f.Rule == "env-set-not-read" || f.Rule == "env-doc-stale") {
				t.Errorf("false positive: %s %s:%d %s", f.Rule, f.File, f.Line, f.Message)
			}
		}
	}
	if n := len(fs); n != 10 {
		t.Errorf("%d findings, want the 10 above:%s", n, dump(fs))
	}
	// viper with an env prefix read from its own configuration (Burrow): the names of
	// AutomaticEnv's reads are unknown, not GENERAL_PIDFILE.
	for _, name := range []string{"GENERAL_PIDFILE", "GENERAL_ENV_VAR_PREFIX", "PORT"} {
		if len(inv[name]) > 0 {
			t.Errorf("%s read_by %v: the viper prefix is unknown, so is the name", name, inv[name])
		}
	}
}

// A container name a Helm template computes is shown as {{…}}, not as the placeholder.
func TestWorkloadDisplayName(t *testing.T) {
	for name, want := range map[string]string{
		"exporter":              "exporter",
		phTpl:                   "{{…}}",
		phTpl + "-exporter":     "{{…}}-exporter",
		phValues + "app.name":   "{{…}}",
		"a-" + phValues + "x.y": "a-{{…}}",
	} {
		if got := (&Workload{Name: name}).display(); got != want {
			t.Errorf("display(%q) = %q, want %q", name, got, want)
		}
	}
}
