package dashboards

import (
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the dashboard loader and checks: no panic, and a
// file-level problem always has a line. Seeds: testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(dash(`{"title": "p", "targets": [`+target(`rate(app_messages_total[$__rate_interval])`)+`]}`, "app_lag")))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := Load("f.json", data)
		if d.Problem != nil && (d.Problem.Line < 1 || strings.Contains(d.Problem.Msg, "internal error")) {
			t.Fatalf("problem %+v", d.Problem)
		}
		for _, fd := range Check(d, inv, nil) {
			if fd.Line < 1 {
				t.Fatalf("finding without a line: %+v", fd)
			}
		}
		for _, cm := range LoadConfigMaps("f.yaml", data) {
			if cm.Problem != nil && (cm.Problem.Line < 1 || strings.Contains(cm.Problem.Msg, "internal error")) {
				t.Fatalf("configmap problem %+v", cm.Problem)
			}
		}
	})
}

func FuzzSubstitute(f *testing.F) {
	f.Add(`rate(x{a="$v"}[$__rate_interval]) / ${n} [[old]]`)
	f.Fuzz(func(t *testing.T, expr string) {
		out, _ := Substitute(expr, map[string]variable{"n": {typ: "custom", value: "5"}})
		if !strings.Contains(expr, "$") && !strings.Contains(expr, "[[") && out != expr {
			t.Fatalf("changed an expression without variables: %q -> %q", expr, out)
		}
	})
}
