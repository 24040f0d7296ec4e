package verifycmd

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/streamaudit/streamaudit/checks"
)

// loadFindings turns Go load and type errors into go-load findings, unless a stage already
// reported them, so that a repository that does not type-check always yields a finding.
func loadFindings(ctx context.Context, ws *checks.Workspace, existing []checks.Finding) []checks.Finding {
	nested := nestedModuleFindings(ws)
	for _, f := range existing {
		if f.Rule == "go-load" {
			return nested
		}
	}
	if !ws.HasGo() {
		return nested
	}
	pkgs, err := ws.Packages(ctx)
	if err != nil {
		return []checks.Finding{{Rule: "go-load", File: "go.mod", Line: 1,
			Message: "Go packages could not be loaded: " + firstLine(err.Error()),
			Key:     "load"}}
	}
	var own []*packages.Package
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		if ws.Owns(p) { // dependencies (and the standard library) are not ours to report
			own = append(own, p)
		}
	})
	return append(nested, ws.LoadFindings(own)...)
}

// nestedModuleFindings reports the Go modules below the root as go-load findings: loading
// the root's module (or nothing, without a go.mod at the root) does not reach them, so
// none of their code is checked, which a run must not pass over in silence (a directory
// of examples, each its own module, would otherwise read as clean).
func nestedModuleFindings(ws *checks.Workspace) []checks.Finding {
	dirs, err := ws.NestedModules()
	if err != nil {
		return nil // the file walk's error is reported by the stages that list files
	}
	loaded := "the module at the root only"
	if !ws.HasGo() {
		loaded = "the module at the root only, and there is none"
	}
	var out []checks.Finding
	for _, d := range dirs {
		out = append(out, checks.Finding{
			Rule: "go-load", Severity: checks.SeverityWarning, Confidence: checks.ConfidenceHigh,
			File: d + "/go.mod", Line: 1,
			Message:  fmt.Sprintf("%s is a Go module of its own, which this run does not load (verify loads %s): its Go code is not checked", d, loaded),
			Evidence: d + "/go.mod",
			Key:      "module " + d,
			Fix:      fmt.Sprintf("Run verify %s (one run per module), or list %s/** in exclude if it is not yours to audit.", d, d),
		})
	}
	return out
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
