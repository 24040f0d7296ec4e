package verifycmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/streamaudit/streamaudit/checks"
)

// changeScope is what -changed checks: files changed against HEAD plus untracked files,
// and the Go packages that hold them.
type changeScope struct {
	files   map[string]bool // root-relative
	goPkgs  []string        // "./dir" patterns
	nonGo   bool            // a changed non-Go file is an input of a non-lint check
	anyFile bool
}

func (c *changeScope) empty() bool { return !c.anyFile }

// changedScope asks git for the changed files under the workspace root.
func changedScope(ctx context.Context, ws *checks.Workspace) (*changeScope, error) {
	diff, err := git(ctx, ws.Root, "diff", "--name-only", "--relative", "-z", "HEAD", "--")
	if err != nil {
		return nil, fmt.Errorf("-changed needs a git work tree with at least one commit: %w", err)
	}
	untracked, err := git(ctx, ws.Root, "ls-files", "--others", "--exclude-standard", "-z", "--")
	if err != nil {
		return nil, fmt.Errorf("-changed: %w", err)
	}
	c := &changeScope{files: map[string]bool{}}
	indexed := map[string]bool{}
	all, err := ws.Files()
	if err != nil {
		return nil, err
	}
	for _, f := range all {
		indexed[f] = true
	}
	cfg := ws.Config
	nonGoGlobs := [][]string{cfg.Rules.Files, cfg.Dashboards, cfg.Env.Docs, cfg.Env.Deploy, cfg.Env.Scripts, cfg.Claims.Docs}
	pkgs := map[string]bool{}
	for _, name := range append(split0(diff), split0(untracked)...) {
		if name == "" || checks.MatchAny(cfg.Exclude, name) {
			continue
		}
		c.files[name] = true
		c.anyFile = true
		if strings.HasSuffix(name, ".go") {
			dir := path.Dir(name)
			if !strings.HasSuffix(name, "_test.go") && hasGo(filepath.Join(ws.Root, filepath.FromSlash(dir))) {
				pkgs["./"+dir] = true
			}
			continue
		}
		if name == "go.mod" || name == "go.sum" || name == ".streamaudit.yaml" {
			c.nonGo = true // the whole picture may change
			continue
		}
		for _, g := range nonGoGlobs {
			if indexed[name] && checks.MatchAny(g, name) {
				c.nonGo = true
			}
		}
	}
	for p := range pkgs {
		if p == "./." {
			p = "."
		}
		c.goPkgs = append(c.goPkgs, p)
	}
	sort.Strings(c.goPkgs)
	return c, nil
}

func hasGo(dir string) bool {
	es, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range es {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
			return true
		}
	}
	return false
}

// restrict picks the stages for the change: only Go files changed → the Go-only stages
// over the touched packages (the fast pre-commit path); a rule, dashboard, doc, deploy or
// script input changed → every stage over the whole tree (their checks cross-reference
// the code), with findings later filtered to the changed files.
func (c *changeScope) restrict(ws *checks.Workspace, stages []checks.Stage) []checks.Stage {
	if c.nonGo {
		return stages
	}
	ws.Only = c.goPkgs
	var out []checks.Stage
	for _, s := range stages {
		if (s.Name == "lint" || s.Name == "metrics") && len(c.goPkgs) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// filter keeps findings in changed files (or with a related location in one).
func (c *changeScope) filter(fs []checks.Finding) []checks.Finding {
	var out []checks.Finding
	for _, f := range fs {
		keep := c.files[f.File]
		for _, r := range f.Related {
			keep = keep || c.files[r.File]
		}
		if keep {
			out = append(out, f)
		}
	}
	return out
}

func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

func split0(b []byte) []string {
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
}
