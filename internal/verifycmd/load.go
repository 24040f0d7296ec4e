package verifycmd

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/streamaudit/streamaudit/checks"
)

// loadFindings turns Go load and type errors into go-load findings, unless a stage already
// reported them, so that a repository that does not type-check always yields a finding.
func loadFindings(ctx context.Context, ws *checks.Workspace, existing []checks.Finding) []checks.Finding {
	for _, f := range existing {
		if f.Rule == "go-load" {
			return nil
		}
	}
	if !ws.HasGo() {
		return nil
	}
	pkgs, err := ws.Packages(ctx)
	if err != nil {
		return []checks.Finding{{Rule: "go-load", File: "go.mod", Line: 1,
			Message: "Go packages could not be loaded: " + firstLine(err.Error()),
			Key:     "load"}}
	}
	var out []checks.Finding
	seen := map[string]bool{}
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		if !ours(ws, p) {
			return // dependencies (and the standard library) are not ours to report
		}
		for _, e := range p.Errors {
			file, line, col := splitPos(ws, e.Pos)
			if file == "" {
				file = "go.mod"
				if len(p.GoFiles) > 0 {
					file = ws.Rel(filepath.Dir(p.GoFiles[0]))
				}
			}
			key := fmt.Sprintf("%s:%d:%d:%s", file, line, col, e.Msg)
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, checks.Finding{
				Rule: "go-load", Severity: checks.SeverityWarning, Confidence: checks.ConfidenceLow,
				File: file, Line: line, Column: col,
				Message: fmt.Sprintf("package %s does not load or type-check: %s; Go checks of this package are incomplete", p.PkgPath, e.Msg),
				Key:     p.PkgPath + " " + e.Msg,
			})
		}
	})
	return out
}

// ours reports whether p belongs to the audited tree (its files are under the root).
func ours(ws *checks.Workspace, p *packages.Package) bool {
	if p.Module != nil {
		return p.Module.Main
	}
	prefix := ws.Root + string(filepath.Separator)
	for _, f := range append(append([]string{}, p.GoFiles...), p.CompiledGoFiles...) {
		if strings.HasPrefix(f, prefix) {
			return true
		}
	}
	return false
}

// splitPos splits "file:line:col" (any of them may be missing) into a root-relative path.
func splitPos(ws *checks.Workspace, pos string) (string, int, int) {
	if pos == "" || pos == "-" {
		return "", 0, 0
	}
	parts := strings.Split(pos, ":")
	var nums []int
	for len(parts) > 1 {
		n, err := strconv.Atoi(parts[len(parts)-1])
		if err != nil {
			break
		}
		nums = append([]int{n}, nums...)
		parts = parts[:len(parts)-1]
	}
	file := strings.Join(parts, ":")
	if filepath.IsAbs(file) {
		file = ws.Rel(file)
	}
	line, col := 0, 0
	if len(nums) > 0 {
		line = nums[0]
	}
	if len(nums) > 1 {
		col = nums[1]
	}
	return filepath.ToSlash(file), line, col
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
