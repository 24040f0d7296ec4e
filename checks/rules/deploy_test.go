package rules

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The promtool unit tests of the repository's alerts (deploy/prometheus/tests) pass, and
// every rule file of deploy/ passes `promtool check rules`.
func TestDeployPromtool(t *testing.T) {
	promtool := promtoolPath(t)
	root := filepath.Join("..", "..")
	tests, err := filepath.Glob(filepath.Join(root, "deploy", "prometheus", "tests", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tests) == 0 {
		t.Fatal("no promtool unit tests under deploy/prometheus/tests")
	}
	for _, tf := range tests {
		t.Run("test/"+filepath.Base(tf), func(t *testing.T) {
			out, err := exec.Command(promtool, "test", "rules", tf).CombinedOutput()
			if err != nil {
				t.Errorf("promtool test rules %s: %v\n%s", tf, err, out)
			}
		})
	}
	rulesFiles, _ := filepath.Glob(filepath.Join(root, "deploy", "prometheus", "*.yml"))
	copies, _ := filepath.Glob(filepath.Join(root, "deploy", "helm", "streamsvc", "files", "*.yml"))
	for _, rf := range append(rulesFiles, copies...) {
		t.Run("check/"+strings.TrimPrefix(rf, root+"/"), func(t *testing.T) {
			out, err := exec.Command(promtool, "check", "rules", rf).CombinedOutput()
			if err != nil {
				t.Errorf("promtool check rules %s: %v\n%s", rf, err, out)
			}
		})
	}
}
