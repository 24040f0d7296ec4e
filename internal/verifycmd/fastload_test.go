package verifycmd

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamaudit/streamaudit/checks"
)

// ownPackageDirs lists the main module's package directories of root as "./dir"
// patterns (the form -changed gives the loader).
func ownPackageDirs(t *testing.T, root string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-f", "{{.Dir}}", "./...")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list in %s: %v", root, err)
	}
	abs, _ := filepath.Abs(root)
	var pats []string
	for _, d := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(abs, d)
		if err != nil {
			t.Fatal(err)
		}
		if rel == "." {
			pats = append(pats, ".")
		} else {
			pats = append(pats, "./"+filepath.ToSlash(rel))
		}
	}
	return pats
}

// stagesJSON runs every stage over root with Go loading restricted to only (as -changed
// does) by the given loader, and returns the report as JSON and whether the fast loader
// produced the packages.
func stagesJSON(t *testing.T, root string, only []string, loader checks.FastLoad) (string, bool) {
	t.Helper()
	ws, err := checks.NewWorkspace(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.Only, ws.Loader = only, loader
	rep, _ := runStages(context.Background(), ws, Stages(), nil, "")
	b, err := json.MarshalIndent(rep, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b), ws.FastLoaded
}

// TestFastLoaderSameAsGoPackages: on this repository and on the drifted fixture, every
// stage reports exactly the same (findings, inventory, claims, errors) whether the
// packages come from the fast loader or from go/packages, with every own package named.
func TestFastLoaderSameAsGoPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: loads the repository twice")
	}
	for _, root := range []string{"../..", fixtureV7} {
		t.Run(filepath.Base(root), func(t *testing.T) {
			only := ownPackageDirs(t, root)
			if len(only) < 3 {
				t.Fatalf("%s: only %d packages", root, len(only))
			}
			fast, used := stagesJSON(t, root, only, checks.FastOnly)
			if !used {
				t.Fatal("the fast loader was not used")
			}
			slow, used := stagesJSON(t, root, only, checks.FastOff)
			if used {
				t.Fatal("FastOff used the fast loader")
			}
			if fast != slow {
				t.Errorf("reports differ:\n--- fast:\n%.4000s\n--- go/packages:\n%.4000s", fast, slow)
			}
			if !strings.Contains(fast, `"Rule"`) && !strings.Contains(fast, `"rule"`) {
				t.Errorf("no finding at all: the comparison proves little:\n%.2000s", fast)
			}
			// A full run: the configured patterns (./...).
			fast, used = stagesJSON(t, root, nil, checks.FastOnly)
			if !used {
				t.Fatal("full run: the fast loader was not used")
			}
			slow, _ = stagesJSON(t, root, nil, checks.FastOff)
			if fast != slow {
				t.Errorf("full run: reports differ:\n--- fast:\n%.4000s\n--- go/packages:\n%.4000s", fast, slow)
			}
		})
	}
}

// TestFastLoaderFallsBack: where the fast loader cannot be exact it says so (FastOnly
// fails with the reason) and the default loader silently uses go/packages, with the same
// report; a type error in an own package is still a go-load finding with its file and line.
func TestFastLoaderFallsBack(t *testing.T) {
	cases := []struct {
		name   string
		files  map[string]string
		only   []string
		reason string
		want   string // a go-load finding that must be reported, if any: "file:line", or a directory
	}{
		{
			name: "type error",
			files: map[string]string{
				"go.mod": "module example.com/te\n\ngo 1.26\n",
				"a/a.go": "package a\n\nfunc A() int {\n\tvar x int = \"not an int\"\n\treturn x\n}\n",
				"b/b.go": "package b\n\nimport \"example.com/te/a\"\n\nfunc B() int { return a.A() }\n",
			},
			only: []string{"./b"}, reason: "type errors", want: "a/a.go:4",
		},
		{
			name: "missing import",
			files: map[string]string{
				"go.mod": "module example.com/mi\n\ngo 1.26\n",
				"a/a.go": "package a\n\nimport _ \"example.com/mi/nothere\"\n",
			},
			only: []string{"./a"}, reason: "go list",
		},
		{
			name: "cgo",
			files: map[string]string{
				"go.mod": "module example.com/cg\n\ngo 1.26\n",
				"a/a.go": "package a\n\n// int two(void) { return 2; }\nimport \"C\"\n\nfunc Two() int { return int(C.two()) }\n",
			},
			only: []string{"./a"}, reason: "cgo",
		},
		{
			name: "own package replaced",
			files: map[string]string{
				"go.mod":     "module example.com/rp\n\ngo 1.26\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ./lib\n",
				"lib/go.mod": "module example.com/lib\n\ngo 1.26\n",
				"lib/lib.go": "package lib\n\nfunc L() int { return 1 }\n",
				"a/a.go":     "package a\n\nimport \"example.com/lib\"\n\nfunc A() int { return lib.L() }\n",
			},
			only: []string{"./a"}, reason: "example.com/lib",
		},
		{
			name: "pattern",
			files: map[string]string{
				"go.mod": "module example.com/pt\n\ngo 1.26\n",
				"a/a.go": "package a\n",
			},
			only: []string{"example.com/pt/a"}, reason: "pattern",
		},
		{
			name: "func without body",
			files: map[string]string{
				"go.mod": "module example.com/nb\n\ngo 1.26\n",
				"a/a.go": "package a\n\nfunc A() int\n",
			},
			only: []string{"./a"}, reason: "without a body", want: "a",
		},
		{
			name: "linkname",
			files: map[string]string{
				"go.mod": "module example.com/ln\n\ngo 1.26\n",
				"a/a.go": "package a\n\nimport _ \"unsafe\"\n\n//go:linkname A example.com/ln/a.A\nfunc A() {}\n",
			},
			only: []string{"./a"}, reason: "//go:linkname",
		},
		{
			name: "embed into an int",
			files: map[string]string{
				"go.mod":  "module example.com/em\n\ngo 1.26\n",
				"a/a.go":  "package a\n\nimport _ \"embed\"\n\n//go:embed x.txt\nvar n int\n",
				"a/x.txt": "x\n",
			},
			only: []string{"./a"}, reason: "//go:embed", want: "a",
		},
		{
			name: "assembly",
			files: map[string]string{
				"go.mod": "module example.com/as\n\ngo 1.26\n",
				"a/a.go": "package a\n\nfunc A() int { return 1 }\n",
				"a/a.s":  "// nothing\n",
			},
			only: []string{"./a"}, reason: "assembly",
		},
		{
			name: "own package outside ./...",
			files: map[string]string{
				"go.mod":            "module example.com/td\n\ngo 1.26\n",
				"a/a.go":            "package a\n\nimport \"example.com/td/a/testdata/h\"\n\nfunc A() int { return h.H() }\n",
				"a/testdata/h/h.go": "package h\n\nfunc H() int { return 1 }\n",
			},
			only: []string{"./..."}, reason: "not matched by ./...",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeTree(t, c.files)
			ws, err := checks.NewWorkspace(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			ws.Only, ws.Loader = c.only, checks.FastOnly
			if _, err := ws.Packages(context.Background()); err == nil || !strings.Contains(err.Error(), c.reason) {
				t.Errorf("FastOnly: err %v, want one naming %q", err, c.reason)
			}
			auto, used := stagesJSON(t, dir, c.only, checks.FastAuto)
			if used {
				t.Error("the fast loader claims to have loaded")
			}
			slow, _ := stagesJSON(t, dir, c.only, checks.FastOff)
			if auto != slow {
				t.Errorf("fallback report differs:\n--- default:\n%.3000s\n--- go/packages:\n%.3000s", auto, slow)
			}
			if c.want != "" {
				var rep checks.Report
				if err := json.Unmarshal([]byte(auto), &rep); err != nil {
					t.Fatal(err)
				}
				found := false
				for _, f := range rep.Findings {
					at := f.File + ":" + itoa(f.Line)
					found = found || f.Rule == "go-load" && (at == c.want || !strings.Contains(c.want, ":") && strings.HasPrefix(f.File, c.want))
				}
				if !found {
					t.Errorf("no go-load finding at %s: %s", c.want, auto)
				}
			}
		})
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
