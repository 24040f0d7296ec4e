package verifycmd

import (
	"context"
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
	var own []*packages.Package
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		if ws.Owns(p) { // dependencies (and the standard library) are not ours to report
			own = append(own, p)
		}
	})
	return ws.LoadFindings(own)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
