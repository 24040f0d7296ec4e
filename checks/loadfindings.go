package checks

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

// LoadFindings turns the load and type errors of pkgs into go-load findings (one per
// distinct file:line:col and message), so that code that does not type-check is reported
// instead of silently checked less.
func (w *Workspace) LoadFindings(pkgs []*packages.Package) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for _, p := range pkgs {
		for _, e := range p.Errors {
			file, line, col := w.SplitPos(e.Pos)
			if file == "" {
				file = "go.mod"
				if len(p.GoFiles) > 0 {
					file = w.Rel(filepath.Dir(p.GoFiles[0]))
				}
			}
			key := fmt.Sprintf("%s:%d:%d:%s", file, line, col, e.Msg)
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, Finding{
				Rule: "go-load", Severity: SeverityWarning, Confidence: ConfidenceLow,
				File: file, Line: line, Column: col,
				Message: fmt.Sprintf("package %s does not load or type-check: %s; Go checks of this package are incomplete", p.PkgPath, e.Msg),
				Key:     p.PkgPath + " " + e.Msg,
			})
		}
	}
	return out
}

// SplitPos splits a go/packages position "file:line:col" (any part may be missing) into a
// root-relative slash path, line and column.
func (w *Workspace) SplitPos(pos string) (string, int, int) {
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
		file = w.Rel(file)
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
