package lint

import (
	"fmt"
	"go/ast"
	"go/types"
	"iter"
	"reflect"
	"sort"
	"sync"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/streamaudit/streamaudit/analyzers/kafkasecurity"
	"github.com/streamaudit/streamaudit/checks"
)

// analyzeGraphs runs the analyzers over roots. With dependencies from source
// (go.dependencies: source) that is one checker run over the whole graph, as before.
// With export data, dependencies have no bodies and no declarations to learn from: of
// our analyzers only kafkasecurity draws anything from them (the "no bodies" fact of
// their bodiless declarations; see checkerGraph), the others export facts only from
// function bodies and variable declarations, which the synthetic files do not have. So
// kafkasecurity runs over the whole graph and the others over the module's own packages
// only, which spares building SSA (buildssa, for kafkadlqcommit) for ~650 dependencies:
// the same findings at a fraction of the cost.
func analyzeGraphs(ws *checks.Workspace, as []*analysis.Analyzer, roots []*packages.Package) ([]*checker.Graph, error) {
	if !ws.ExportDeps() {
		g, err := checker.Analyze(as, checkerGraph(roots, true), &checker.Options{})
		return []*checker.Graph{g}, err
	}
	var withDeps, ownOnly []*analysis.Analyzer
	for _, a := range as {
		if a.Name == kafkasecurity.Analyzer.Name {
			withDeps = append(withDeps, a)
		} else {
			ownOnly = append(ownOnly, a)
		}
	}
	var graphs []*checker.Graph
	for _, run := range []struct {
		as   []*analysis.Analyzer
		deps bool
	}{{withDeps, true}, {ownOnly, false}} {
		if len(run.as) == 0 {
			continue
		}
		g, err := checker.Analyze(run.as, checkerGraph(roots, run.deps), &checker.Options{})
		if err != nil {
			return nil, err
		}
		graphs = append(graphs, g)
	}
	return graphs, nil
}

// allActions iterates over the actions of every graph.
func allActions(graphs []*checker.Graph) iter.Seq[*checker.Action] {
	return func(yield func(*checker.Action) bool) {
		for _, g := range graphs {
			for act := range g.All() {
				if !yield(act) {
					return
				}
			}
		}
	}
}

// checkerGraph returns copies of roots and of every package they reach, ready for
// analysis/checker, which runs fact-producing analyzers on dependencies too and hands them
// pkg.Syntax and pkg.TypesInfo.
//
// Packages loaded from export data (go.dependencies: export) have types but no syntax. The
// analyzers were written against dependencies parsed without function bodies, and
// kafkasecurity tells "this package's functions have no visible bodies" (values from them
// are unknown, low confidence) from seeing declarations without bodies. So each such
// package gets one synthetic file holding a bodiless declaration of each of its
// non-generic functions and methods, with a types.Info whose Defs map them: what the
// analyzers saw before, without parsing or type-checking the dependency (parameter names,
// doc comments and directives are not in export data). Packages loaded from source are passed
// through unchanged (shallow copies, so the workspace's packages are never modified).
// With deps false, only packages loaded from source are kept (Imports of others dropped).
func checkerGraph(roots []*packages.Package, deps bool) []*packages.Package {
	copies := map[*packages.Package]*packages.Package{}
	var visit func(p *packages.Package) *packages.Package
	visit = func(p *packages.Package) *packages.Package {
		if c, ok := copies[p]; ok {
			return c
		}
		c := new(packages.Package)
		*c = *p
		copies[p] = c
		if len(p.Imports) > 0 {
			c.Imports = make(map[string]*packages.Package, len(p.Imports))
			for path, imp := range p.Imports {
				if deps || imp.TypesInfo != nil {
					c.Imports[path] = visit(imp)
				}
			}
		}
		if p.TypesInfo == nil && p.Syntax == nil && p.Types != nil {
			c.Syntax, c.TypesInfo = bodilessDecls(p.Types)
		}
		return c
	}
	out := make([]*packages.Package, len(roots))
	for i, r := range roots {
		out[i] = visit(r)
	}
	return out
}

// bodilessDecls builds a file with a declaration without a body for every non-generic
// function and method of pkg, and the types.Info that defines them.
func bodilessDecls(pkg *types.Package) ([]*ast.File, *types.Info) {
	info := &types.Info{
		Types:        map[ast.Expr]types.TypeAndValue{},
		Instances:    map[*ast.Ident]types.Instance{},
		Defs:         map[*ast.Ident]types.Object{},
		Uses:         map[*ast.Ident]types.Object{},
		Implicits:    map[ast.Node]types.Object{},
		Selections:   map[*ast.SelectorExpr]*types.Selection{},
		Scopes:       map[ast.Node]*types.Scope{},
		FileVersions: map[*ast.File]string{},
	}
	var decls []ast.Decl
	add := func(fn *types.Func) {
		if generic(fn) {
			return
		}
		id := ast.NewIdent(fn.Name())
		info.Defs[id] = fn
		decls = append(decls, &ast.FuncDecl{Name: id, Type: &ast.FuncType{Params: &ast.FieldList{}}})
	}
	scope := pkg.Scope()
	for _, n := range scope.Names() {
		switch o := scope.Lookup(n).(type) {
		case *types.Func:
			add(o)
		case *types.TypeName:
			if named, ok := o.Type().(*types.Named); ok && !o.IsAlias() && named.TypeParams().Len() == 0 {
				for i := 0; i < named.NumMethods(); i++ {
					add(named.Method(i))
				}
			}
		}
	}
	if len(decls) == 0 {
		return []*ast.File{}, info
	}
	return []*ast.File{{Name: ast.NewIdent(pkg.Name()), Decls: decls}}, info
}

func generic(fn *types.Func) bool {
	sig, ok := fn.Type().(*types.Signature)
	return !ok || sig.TypeParams().Len() > 0 || sig.RecvTypeParams().Len() > 0
}

// guard makes the analyzers safe to run on packages they were not written for: a panic
// in an analyzer becomes an error on an own package (reported as a tool error, as before)
// and, on a dependency (no package of the audited module), an empty result with the panic
// recorded in the returned log, so that one odd dependency does not fail every importer
// with "failed prerequisites".
func guard(as []*analysis.Analyzer, own func(pkgPath string) bool) *panicLog {
	log := &panicLog{}
	// Required analyzers (buildssa) are shared package-level values of x/tools: they are
	// not wrapped, a panic there is not recovered.
	for _, a := range as {
		a := a
		run := a.Run
		a.Run = func(pass *analysis.Pass) (res any, err error) {
			defer func() {
				r := recover()
				if r == nil {
					return
				}
				path := pass.Pkg.Path()
				if own(path) {
					err = fmt.Errorf("panic: %v", r)
					return
				}
				log.add(fmt.Sprintf("%s panicked on dependency %s (ignored, no facts from it): %v", a.Name, path, r))
				res, err = zeroResult(a), nil
			}()
			return run(pass)
		}
	}
	return log
}

func zeroResult(a *analysis.Analyzer) any {
	if a.ResultType == nil {
		return nil
	}
	return reflect.Zero(a.ResultType).Interface()
}

// panicLog collects the guarded panics of one run (analyzers run concurrently).
type panicLog struct {
	mu   sync.Mutex
	msgs []string
}

func (l *panicLog) add(s string) {
	l.mu.Lock()
	l.msgs = append(l.msgs, s)
	l.mu.Unlock()
}

func (l *panicLog) sorted() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]string(nil), l.msgs...)
	sort.Strings(out)
	return out
}
