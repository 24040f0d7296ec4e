package checks

import (
	"strings"
	"testing"
)

func TestConfigGoDependencies(t *testing.T) {
	for _, tc := range []struct {
		yaml, want, err string
	}{
		{"version: 1\n", "", ""},
		{"version: 1\ngo:\n  packages: [\"./...\"]\n", "", ""},
		{"version: 1\ngo:\n  dependencies: export\n", DepsExport, ""},
		{"version: 1\ngo:\n  packages: [\"./...\"]\n  dependencies: source\n", DepsSource, ""},
		{"version: 1\ngo:\n  packages: [\"./...\"]\n  dependencies: binary\n", "", `x.yaml:4: go.dependencies: "binary": want export or source`},
		{"version: 1\ngo:\n  dependency: source\n", "", "x.yaml:3: field dependency not found"},
	} {
		cfg, err := ParseConfig("x.yaml", []byte(tc.yaml))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.yaml, err)
			continue
		}
		if cfg.Go.Dependencies != tc.want {
			t.Errorf("%q: dependencies %q, want %q", tc.yaml, cfg.Go.Dependencies, tc.want)
		}
	}
}
