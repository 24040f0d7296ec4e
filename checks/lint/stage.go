// Package lint is verify's lint stage: it runs the Go analyzers (analyzers.New, configured
// from kafka.security_providers) once, in process, over the packages the workspace loaded
// once, turns their diagnostics into findings and fills Inventory.KafkaClients.
// Suppressions (//streamaudit:ignore) are applied centrally by verify, not here.
package lint

import (
	"context"
	"fmt"
	"go/token"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/packages"

	"github.com/streamaudit/streamaudit/analyzers"
	"github.com/streamaudit/streamaudit/analyzers/kafkasecurity"
	"github.com/streamaudit/streamaudit/checks"
)

// Stage is the lint stage (see checks.Stage).
var Stage = checks.Stage{
	Name:  "lint",
	Group: "lint",
	Rules: append(analyzers.Rules(), "go-load"),
	Run:   run,
}

func run(ctx context.Context, ws *checks.Workspace, st *checks.State) error {
	if !ws.HasGo() {
		return nil
	}
	pkgs, err := ws.Packages(ctx)
	if err != nil {
		st.Add(checks.Finding{Rule: "go-load", File: "go.mod", Line: 1, Confidence: checks.ConfidenceLow,
			Message: "Go packages could not be loaded: " + firstLine(err.Error()), Key: "load"})
		return nil
	}
	fs, clients, errs, err := Analyze(ws, pkgs)
	if err != nil {
		return fmt.Errorf("lint: %w", err)
	}
	st.Errors = append(st.Errors, errs...)
	st.Add(fs...)
	st.Inventory.KafkaClients = append(st.Inventory.KafkaClients, clients...)
	return nil
}

// Analyze runs the analyzers over pkgs (loaded by ws) and returns the findings (analyzer
// diagnostics and go-load errors of the audited packages), the Kafka client inventory and
// the analyzers' own errors (an analyzer that failed on a package).
func Analyze(ws *checks.Workspace, pkgs []*packages.Package) ([]checks.Finding, []checks.KafkaClient, []string, error) {
	as := analyzers.New(analyzers.Config{Providers: ws.Config.Kafka.SecurityProviders})
	var roots []*packages.Package
	for _, p := range pkgs {
		if ws.Owns(p) {
			roots = append(roots, p)
		}
	}
	findings := ws.LoadFindings(roots)
	if len(roots) == 0 {
		return findings, nil, nil, nil
	}
	ownPath := map[string]bool{}
	packages.Visit(roots, nil, func(p *packages.Package) {
		if ws.Owns(p) {
			ownPath[p.PkgPath] = true
		}
	})
	panics := guard(as, func(path string) bool { return ownPath[path] })
	graphs, err := analyzeGraphs(ws, as, roots)
	if err != nil {
		return findings, nil, nil, err
	}
	errs := panics.sorted()
	bins := newBinaries(ws, pkgs)
	src := newSources(ws)
	var clients []checks.KafkaClient
	for act := range allActions(graphs) {
		if !act.IsRoot {
			continue
		}
		rule := analyzers.Rule(act.Analyzer)
		if rule == "" {
			continue
		}
		if act.Err != nil && len(act.Package.Errors) == 0 {
			errs = append(errs, fmt.Sprintf("%s on %s: %v", act.Analyzer.Name, act.Package.PkgPath, act.Err))
		}
		fset := act.Package.Fset
		for _, d := range act.Diagnostics {
			f, ok := convert(ws, src, fset, rule, d)
			if !ok {
				continue
			}
			if b := bins.of(act.Package.PkgPath); len(b) == 1 {
				f.Binary = b[0]
			}
			findings = append(findings, f)
		}
		if act.Analyzer.Name == "kafkasecurity" && act.Err == nil {
			if res, ok := act.Result.(*kafkasecurity.Result); ok && res != nil {
				for _, c := range res.Clients {
					pos := fset.Position(c.Pos)
					rel := ws.Rel(pos.Filename)
					if pos.Filename == "" || strings.HasPrefix(rel, "/") || strings.HasSuffix(rel, "_test.go") {
						continue
					}
					kc := checks.KafkaClient{File: rel, Line: pos.Line, Library: c.Library, Role: c.Role,
						Secured: c.Secured, Binaries: bins.of(act.Package.PkgPath), Func: c.Func}
					if len(kc.Binaries) > 0 {
						kc.Binary = kc.Binaries[0]
					}
					clients = append(clients, kc)
				}
			}
		}
	}
	sort.SliceStable(clients, func(i, j int) bool {
		if clients[i].File != clients[j].File {
			return clients[i].File < clients[j].File
		}
		return clients[i].Line < clients[j].Line
	})
	return findings, clients, errs, nil
}

// convert turns one diagnostic into a finding; diagnostics outside the root are dropped.
func convert(ws *checks.Workspace, src *sources, fset *token.FileSet, rule string, d analysis.Diagnostic) (checks.Finding, bool) {
	start := fset.Position(d.Pos)
	if !start.IsValid() {
		return checks.Finding{}, false
	}
	rel := ws.Rel(start.Filename)
	if strings.HasPrefix(rel, "/") || strings.HasPrefix(rel, "../") {
		return checks.Finding{}, false
	}
	f := checks.Finding{Rule: rule, Message: d.Message, File: rel, Line: start.Line, Column: start.Column,
		Confidence: checks.ConfidenceHigh}
	if strings.HasSuffix(d.Category, ":low") {
		f.Confidence = checks.ConfidenceLow
	}
	end := start
	if d.End.IsValid() {
		end = fset.Position(d.End)
		if end.Line > start.Line {
			f.EndLine = end.Line
		}
	}
	f.Evidence = src.span(rel, start, end)
	if len(d.SuggestedFixes) > 0 {
		f.Fix = src.fix(rel, start, end, fset, d.SuggestedFixes[0])
	}
	return f, true
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
