package rules

import (
	"strings"
	"testing"

	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/checks/metrics"
)

// FuzzLoad feeds arbitrary bytes to the loader and every check: nothing may panic, and
// every problem must carry a message. Seeds: testdata/fuzz/FuzzLoad plus the table cases.
func FuzzLoad(f *testing.F) {
	for _, c := range checkCases {
		for _, fs := range c.files {
			f.Add([]byte(fs.text))
		}
	}
	ix := metrics.NewIndex(testInventory)
	f.Fuzz(func(t *testing.T, data []byte) {
		file := Load("f.yml", data)
		for _, p := range file.Problems {
			if p.Msg == "" || p.Line < 1 || strings.Contains(p.Msg, "internal error") {
				t.Fatalf("problem %+v", p)
			}
		}
		in := &Input{Files: []*File{file, Load("g.yml", data)}, Index: ix, Config: checks.RulesConfig{
			Copies:         [][]string{{"f.yml", "g.yml"}},
			MustAlert:      []string{"*_total"},
			RequiredAlerts: []checks.RequiredAlert{{Alert: "A", Uses: []string{"app_errors_total"}}},
		}}
		for _, fd := range Run(in) {
			if fd.Rule == "rules-copy-drift" {
				t.Fatalf("a file differs from itself: %s", fd.Message)
			}
		}
	})
}
