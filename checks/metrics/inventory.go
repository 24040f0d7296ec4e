package metrics

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/go/types/typeutil"

	"github.com/streamaudit/streamaudit/checks"
)

const (
	promPkg       = "github.com/prometheus/client_golang/prometheus"
	promautoPkg   = "github.com/prometheus/client_golang/prometheus/promauto"
	collectorsPkg = "github.com/prometheus/client_golang/prometheus/collectors"
	kpromPkg      = "github.com/twmb/franz-go/plugin/kprom"
)

// constructors maps client_golang constructor names to the metric type they create and
// whether the second argument is a label-name list.
var constructors = map[string]struct {
	typ string
	vec bool
}{
	"NewCounter": {"counter", false}, "NewCounterVec": {"counter", true}, "NewCounterFunc": {"counter", false},
	"NewGauge": {"gauge", false}, "NewGaugeVec": {"gauge", true}, "NewGaugeFunc": {"gauge", false},
	"NewHistogram": {"histogram", false}, "NewHistogramVec": {"histogram", true},
	"NewSummary": {"summary", false}, "NewSummaryVec": {"summary", true},
	"NewUntypedFunc": {"untyped", false},
}

// Collect builds the metric inventory of the packages: every metric created through
// client_golang (prometheus, promauto, promauto.Factory), NewDesc descriptors (typed
// through MustNewConstMetric when the value type is constant), franz-go kprom metrics and
// the Go/process collectors. rel maps absolute file names to root-relative paths; only
// files for which keep returns true are inspected.
func Collect(pkgs []*packages.Package, rel func(string) string, keep func(string) bool) []Entry {
	c := &collector{rel: rel, descs: map[types.Object]int{}}
	seen := map[*packages.Package]bool{}
	for _, p := range pkgs {
		if seen[p] || p.TypesInfo == nil {
			continue
		}
		seen[p] = true
		pkgDefs := packageDefs(p)
		for i, f := range p.Syntax {
			name := ""
			if i < len(p.CompiledGoFiles) {
				name = p.CompiledGoFiles[i]
			}
			if name == "" {
				name = p.Fset.Position(f.Pos()).Filename
			}
			if keep != nil && !keep(name) {
				continue
			}
			c.file(p, f, pkgDefs)
		}
	}
	out := make([]Entry, len(c.out))
	for i, m := range c.out {
		out[i] = Entry{Metric: m, Library: c.lib[i]}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Metric, out[j].Metric
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return out
}

// Entry is one inventory metric and where its definition lives: Library is "" for a
// metric the audited code declares, else the library collector that exports it
// ("kprom", "go", "process", "buildinfo"); naming rules apply to declared metrics only.
type Entry struct {
	Metric  checks.Metric
	Library string
}

func (c *collector) add(m checks.Metric, lib string) {
	c.out = append(c.out, m)
	c.lib = append(c.lib, lib)
}

type collector struct {
	rel   func(string) string
	out   []checks.Metric
	lib   []string
	descs map[types.Object]int // NewDesc result variable -> index in out
	// registered holds expressions and variables passed to Register/MustRegister or
	// kgo.WithHooks in the current file: library collectors count only when registered.
	regExprs map[ast.Expr]bool
	regObjs  map[types.Object]bool
	defs     map[types.Object]ast.Expr
	// pending const-metric typings seen before their NewDesc (same package order issue)
	pend []pendingType
}

type pendingType struct {
	obj types.Object
	typ string
}

func (c *collector) pos(p *packages.Package, pos token.Pos) (string, int) {
	ps := p.Fset.Position(pos)
	return c.rel(ps.Filename), ps.Line
}

// packageDefs maps the package-level variables of every file of p to their initial
// values, so opts and label lists declared in another file of the package resolve.
func packageDefs(p *packages.Package) map[types.Object]ast.Expr {
	defs := map[types.Object]ast.Expr{}
	for _, f := range p.Syntax {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, sp := range gd.Specs {
				vs, ok := sp.(*ast.ValueSpec)
				if !ok {
					continue
				}
				for i, id := range vs.Names {
					if i < len(vs.Values) {
						if o := p.TypesInfo.Defs[id]; o != nil {
							defs[o] = vs.Values[i]
						}
					}
				}
			}
		}
	}
	return defs
}

func (c *collector) file(p *packages.Package, f *ast.File, pkgDefs map[types.Object]ast.Expr) {
	info := p.TypesInfo
	// defs maps variables to the expression they were initialised or assigned with, so
	// opts and label lists passed by name can be resolved.
	defs := map[types.Object]ast.Expr{}
	for o, e := range pkgDefs {
		defs[o] = e
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ValueSpec:
			for i, id := range n.Names {
				if i < len(n.Values) {
					if o := info.Defs[id]; o != nil {
						defs[o] = n.Values[i]
					}
				}
			}
		case *ast.AssignStmt:
			if len(n.Lhs) == len(n.Rhs) {
				for i, l := range n.Lhs {
					if o := objOf(info, l); o != nil {
						if _, ok := defs[o]; !ok {
							defs[o] = n.Rhs[i]
						}
					}
				}
			}
		}
		return true
	})
	c.defs = defs
	c.regExprs, c.regObjs = map[ast.Expr]bool{}, map[types.Object]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		var fname string
		switch fun := ast.Unparen(call.Fun).(type) {
		case *ast.SelectorExpr:
			fname = fun.Sel.Name
		case *ast.Ident:
			fname = fun.Name
		}
		if fname != "MustRegister" && fname != "Register" && fname != "WithHooks" {
			return true
		}
		for _, a := range call.Args {
			a = ast.Unparen(a)
			c.regExprs[a] = true
			if o := objOf(info, a); o != nil {
				c.regObjs[o] = true
			}
		}
		return true
	})
	// Package-level declarations of other files are resolved through constants only.
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		fn, _ := typeutil.Callee(info, call).(*types.Func)
		if fn == nil || fn.Pkg() == nil {
			return true
		}
		path, name := fn.Pkg().Path(), fn.Name()
		switch path {
		case promPkg, promautoPkg:
			if k, ok := constructors[name]; ok && len(call.Args) > 0 {
				c.fromOpts(p, defs, call, k.typ, k.vec)
			}
			switch name {
			case "NewDesc":
				c.fromDesc(p, defs, call, n)
			case "MustNewConstMetric", "NewConstMetric", "MustNewConstMetricWithCreatedTimestamp", "NewConstMetricWithCreatedTimestamp":
				c.constType(info, call)
			case "MustNewConstHistogram", "NewConstHistogram":
				c.constTypeFixed(info, call, "histogram")
			case "MustNewConstSummary", "NewConstSummary":
				c.constTypeFixed(info, call, "summary")
			case "NewGoCollector":
				if path == promPkg {
					c.addWellKnown(p, call, "go", goMetrics)
				}
			case "NewProcessCollector":
				if path == promPkg {
					c.addWellKnown(p, call, "process", processMetrics)
				}
			}
		case collectorsPkg:
			switch name {
			case "NewGoCollector":
				c.addWellKnown(p, call, "go", goMetrics)
			case "NewProcessCollector":
				c.addWellKnown(p, call, "process", processMetrics)
			case "NewBuildInfoCollector":
				c.addWellKnown(p, call, "buildinfo", []wellKnown{{"go_build_info", "gauge", []string{"checksum", "path", "version"}}})
			}
		case kpromPkg:
			if name == "NewMetrics" && fn.Type().(*types.Signature).Recv() == nil {
				c.fromKprom(p, defs, call)
			}
		}
		return true
	})
	// A descriptor reaching MustNewConstMetric through a closure parameter or a range
	// over a literal list types every descriptor passed in.
	c.expandIndirect(info, f)
	// Resolve const-metric typings whose descriptor was declared later in the walk.
	var rest []pendingType
	for _, pt := range c.pend {
		if i, ok := c.descs[pt.obj]; ok {
			if c.out[i].Type == "unknown" {
				c.out[i].Type = pt.typ
			}
		} else {
			rest = append(rest, pt)
		}
	}
	c.pend = rest
}

func objOf(info *types.Info, e ast.Expr) types.Object {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		if o := info.Defs[e]; o != nil {
			return o
		}
		return info.Uses[e]
	case *ast.SelectorExpr:
		if s := info.Selections[e]; s != nil {
			return s.Obj()
		}
		return info.Uses[e.Sel]
	}
	return nil
}

// resolve follows identifiers to the expression they were defined with (one file).
func resolve(info *types.Info, defs map[types.Object]ast.Expr, e ast.Expr) ast.Expr {
	for range 8 {
		e = ast.Unparen(e)
		if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
			e = u.X
			continue
		}
		if call, ok := e.(*ast.CallExpr); ok && len(call.Args) == 1 {
			// type conversion such as prometheus.GaugeOpts(opts)
			if tv, ok := info.Types[call.Fun]; ok && tv.IsType() {
				e = call.Args[0]
				continue
			}
		}
		o := objOf(info, e)
		if o == nil {
			return e
		}
		d, ok := defs[o]
		if !ok {
			return e
		}
		e = d
	}
	return e
}

// stringOf returns the constant string value of e, or ok=false.
func stringOf(info *types.Info, defs map[types.Object]ast.Expr, e ast.Expr) (string, bool) {
	if e == nil {
		return "", true
	}
	if tv, ok := info.Types[e]; ok && tv.Value != nil && tv.Value.Kind() == constant.String {
		return constant.StringVal(tv.Value), true
	}
	r := resolve(info, defs, e)
	if r != e {
		return stringOf(info, defs, r)
	}
	if call, ok := e.(*ast.CallExpr); ok {
		if fn, _ := typeutil.Callee(info, call).(*types.Func); fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == promPkg && fn.Name() == "BuildFQName" && len(call.Args) == 3 {
			var parts [3]string
			for i, a := range call.Args {
				s, ok := stringOf(info, defs, a)
				if !ok {
					return "", false
				}
				parts[i] = s
			}
			return fqName(parts[0], parts[1], parts[2]), true
		}
	}
	return "", false
}

// fqName joins namespace, subsystem and name like prometheus.BuildFQName.
func fqName(ns, sub, name string) string {
	if name == "" {
		return ""
	}
	var parts []string
	for _, s := range []string{ns, sub, name} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "_")
}

// stringsOf resolves a []string literal (or nil) to its constant elements.
func stringsOf(info *types.Info, defs map[types.Object]ast.Expr, e ast.Expr) ([]string, bool) {
	e = resolve(info, defs, e)
	if id, ok := e.(*ast.Ident); ok && id.Name == "nil" {
		return nil, true
	}
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil, false
	}
	var out []string
	for _, el := range cl.Elts {
		s, ok := stringOf(info, defs, el)
		if !ok {
			return out, false
		}
		out = append(out, s)
	}
	return out, true
}

// labelKeys returns the keys of a prometheus.Labels map literal.
func labelKeys(info *types.Info, defs map[types.Object]ast.Expr, e ast.Expr) ([]string, bool) {
	e = resolve(info, defs, e)
	if id, ok := e.(*ast.Ident); ok && id.Name == "nil" {
		return nil, true
	}
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil, false
	}
	var out []string
	for _, el := range cl.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			return out, false
		}
		s, ok := stringOf(info, defs, kv.Key)
		if !ok {
			return out, false
		}
		out = append(out, s)
	}
	return out, true
}

func (c *collector) fromOpts(p *packages.Package, defs map[types.Object]ast.Expr, call *ast.CallExpr, typ string, vec bool) {
	info := p.TypesInfo
	file, line := c.pos(p, call.Pos())
	m := checks.Metric{Type: typ, File: file, Line: line, Resolved: true, Labels: []string{}}
	lit, ok := resolve(info, defs, call.Args[0]).(*ast.CompositeLit)
	if !ok {
		m.Resolved = false
		m.Name = "<unresolved: " + exprString(call.Args[0]) + ">"
		c.add(m, "")
		return
	}
	var ns, sub, name ast.Expr
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		key, _ := kv.Key.(*ast.Ident)
		if key == nil {
			continue
		}
		switch key.Name {
		case "Namespace":
			ns = kv.Value
		case "Subsystem":
			sub = kv.Value
		case "Name":
			name = kv.Value
		case "Help":
			m.Help, _ = stringOf(info, defs, kv.Value)
		case "ConstLabels":
			keys, ok := labelKeys(info, defs, kv.Value)
			m.Labels = append(m.Labels, keys...)
			if !ok {
				m.LabelsUnresolved = true
			}
		}
	}
	nsV, ok1 := stringOf(info, defs, ns)
	subV, ok2 := stringOf(info, defs, sub)
	nameV, ok3 := stringOf(info, defs, name)
	if ok1 && ok2 && ok3 && nameV != "" {
		m.Name = fqName(nsV, subV, nameV)
	} else {
		m.Resolved = false
		var parts []string
		for _, pr := range []struct {
			v  string
			ok bool
			e  ast.Expr
		}{{nsV, ok1, ns}, {subV, ok2, sub}, {nameV, ok3, name}} {
			switch {
			case pr.ok && pr.v != "":
				parts = append(parts, pr.v)
			case !pr.ok:
				parts = append(parts, "<"+exprString(pr.e)+">")
			}
		}
		m.Name = strings.Join(parts, "_")
		if m.Name == "" {
			m.Name = "<unresolved>"
		}
	}
	if vec && len(call.Args) > 1 {
		ls, ok := stringsOf(info, defs, call.Args[1])
		m.Labels = append(m.Labels, ls...)
		if !ok {
			m.LabelsUnresolved = true
		}
	}
	sort.Strings(m.Labels)
	c.add(m, "")
}

func (c *collector) fromDesc(p *packages.Package, defs map[types.Object]ast.Expr, call *ast.CallExpr, _ ast.Node) {
	info := p.TypesInfo
	if len(call.Args) < 3 {
		return
	}
	file, line := c.pos(p, call.Pos())
	m := checks.Metric{Type: "unknown", File: file, Line: line, Resolved: true, Labels: []string{}}
	name, ok := stringOf(info, defs, call.Args[0])
	if !ok || name == "" {
		m.Resolved = false
		m.Name = "<unresolved: " + exprString(call.Args[0]) + ">"
	} else {
		m.Name = name
	}
	m.Help, _ = stringOf(info, defs, call.Args[1])
	ls, ok := stringsOf(info, defs, call.Args[2])
	m.Labels = append(m.Labels, ls...)
	if !ok {
		m.LabelsUnresolved = true
	}
	if len(call.Args) > 3 {
		keys, ok := labelKeys(info, defs, call.Args[3])
		m.Labels = append(m.Labels, keys...)
		if !ok {
			m.LabelsUnresolved = true
		}
	}
	sort.Strings(m.Labels)
	c.add(m, "")
	// Remember which variable or field holds the descriptor, to type it later.
	for o, d := range defs {
		if ast.Unparen(d) == call {
			c.descs[o] = len(c.out) - 1
		}
	}
}

// descTargets records composite-literal fields initialised with NewDesc. Called from
// constType via the object of the first argument.
func (c *collector) constType(info *types.Info, call *ast.CallExpr) {
	if len(call.Args) < 2 {
		return
	}
	typ := ""
	if o := objOf(info, call.Args[1]); o != nil && o.Pkg() != nil && o.Pkg().Path() == promPkg {
		switch o.Name() {
		case "CounterValue":
			typ = "counter"
		case "GaugeValue":
			typ = "gauge"
		case "UntypedValue":
			typ = "untyped"
		}
	}
	if typ == "" {
		return
	}
	c.typeDesc(info, call.Args[0], typ)
}

func (c *collector) constTypeFixed(info *types.Info, call *ast.CallExpr, typ string) {
	if len(call.Args) > 0 {
		c.typeDesc(info, call.Args[0], typ)
	}
}

func (c *collector) typeDesc(info *types.Info, e ast.Expr, typ string) {
	o := objOf(info, e)
	if o == nil {
		return
	}
	if i, ok := c.descs[o]; ok {
		if c.out[i].Type == "unknown" {
			c.out[i].Type = typ
		}
		return
	}
	c.pend = append(c.pend, pendingType{o, typ})
}

// wellKnown is a metric a library collector exports.
type wellKnown struct {
	name   string
	typ    string
	labels []string
}

// registered reports whether the collector built by call is passed to a registry (or,
// for kprom, to kgo.WithHooks) directly or through a variable, in the same file.
func (c *collector) registered(call *ast.CallExpr) bool {
	if c.regExprs[call] {
		return true
	}
	for o, d := range c.defs {
		if ast.Unparen(d) == call && c.regObjs[o] {
			return true
		}
	}
	return false
}

func (c *collector) addWellKnown(p *packages.Package, call *ast.CallExpr, lib string, ms []wellKnown) {
	if !c.registered(call) {
		return
	}
	file, line := c.pos(p, call.Pos())
	for _, w := range ms {
		ls := append([]string{}, w.labels...)
		c.add(checks.Metric{Name: w.name, Type: w.typ, Labels: ls, File: file, Line: line, Resolved: true}, lib)
	}
}

func (c *collector) fromKprom(p *packages.Package, defs map[types.Object]ast.Expr, call *ast.CallExpr) {
	info := p.TypesInfo
	// kprom registers its metrics itself once the value is hooked into a client
	// (kgo.WithHooks), typically far from where it is built: a construction counts.
	if len(call.Args) == 0 {
		return
	}
	file, line := c.pos(p, call.Pos())
	ns, ok := stringOf(info, defs, call.Args[0])
	sub := ""
	consistent, goColl := false, false
	var extra []string                       // labels every kprom metric gets (client id, static labels)
	fpLabels := []string{"node_id", "topic"} // fetch/produce labels (FetchAndProduceDetail)
	brokerUnresolved, extraUnresolved := false, false
	for _, a := range call.Args[1:] {
		ac, isCall := ast.Unparen(a).(*ast.CallExpr)
		if !isCall {
			continue
		}
		fn, _ := typeutil.Callee(info, ac).(*types.Func)
		if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != kpromPkg {
			continue
		}
		switch fn.Name() {
		case "Subsystem":
			if len(ac.Args) == 1 {
				s, okS := stringOf(info, defs, ac.Args[0])
				if !okS {
					ok = false
				}
				sub = s
			}
		case "GoCollectors":
			goColl = true
		case "FetchAndProduceDetail":
			fpLabels = []string{}
			for _, d := range ac.Args {
				switch o := objOf(info, d); {
				case o == nil:
					extraUnresolved = true
				case o.Name() == "ConsistentNaming":
					consistent = true
				case o.Name() == "ByNode":
					fpLabels = append(fpLabels, "node_id")
				case o.Name() == "ByTopic":
					fpLabels = append(fpLabels, "topic")
				}
			}
		case "BrokerLabels":
			brokerUnresolved = true
		case "WithClientLabel":
			extra = append(extra, "client_id")
		case "WithStaticLabel":
			if len(ac.Args) == 1 {
				keys, okK := labelKeys(info, defs, ac.Args[0])
				extra = append(extra, keys...)
				extraUnresolved = extraUnresolved || !okK
			}
		}
	}
	for _, w := range kpromMetrics(consistent) {
		labels := append([]string{}, w.labels...)
		unresolved := extraUnresolved
		if len(w.labels) == 2 { // fetch/produce metrics
			labels = append([]string{}, fpLabels...)
		} else if len(w.labels) == 1 && brokerUnresolved {
			unresolved = true
		}
		labels = append(labels, extra...)
		sort.Strings(labels)
		m := checks.Metric{Type: w.typ, Labels: labels, File: file, Line: line, Resolved: ok, LabelsUnresolved: unresolved}
		if ok {
			m.Name = fqName(ns, sub, w.name)
		} else {
			m.Name = "<" + exprString(call.Args[0]) + ">_" + w.name
		}
		c.add(m, "kprom")
	}
	if goColl {
		for _, w := range goMetrics {
			c.add(checks.Metric{Name: w.name, Type: w.typ, Labels: append([]string{}, w.labels...), File: file, Line: line, Resolved: true}, "go")
		}
		for _, w := range processMetrics {
			c.add(checks.Metric{Name: w.name, Type: w.typ, Labels: append([]string{}, w.labels...), File: file, Line: line, Resolved: true}, "process")
		}
	}
}

func exprString(e ast.Expr) string {
	if e == nil {
		return ""
	}
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprString(e.X) + "." + e.Sel.Name
	case *ast.BasicLit:
		if s, err := strconv.Unquote(e.Value); err == nil {
			return s
		}
		return e.Value
	case *ast.CallExpr:
		return exprString(e.Fun) + "(...)"
	case *ast.BinaryExpr:
		return exprString(e.X) + e.Op.String() + exprString(e.Y)
	case *ast.UnaryExpr:
		return e.Op.String() + exprString(e.X)
	case *ast.CompositeLit:
		return exprString(e.Type) + "{...}"
	case *ast.IndexExpr:
		return exprString(e.X) + "[" + exprString(e.Index) + "]"
	}
	return "expr"
}

// expandIndirect rewrites pending typings of closure parameters and range variables into
// typings of the descriptors flowing into them (one file, one level).
func (c *collector) expandIndirect(info *types.Info, f *ast.File) {
	params := map[types.Object]struct {
		fn  types.Object
		idx int
	}{}
	ranges := map[types.Object]*ast.CompositeLit{}
	calls := map[types.Object][]*ast.CallExpr{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, r := range n.Rhs {
				fl, ok := ast.Unparen(r).(*ast.FuncLit)
				if !ok || i >= len(n.Lhs) {
					continue
				}
				fnObj := objOf(info, n.Lhs[i])
				idx := 0
				for _, fld := range fl.Type.Params.List {
					for _, name := range fld.Names {
						if o := info.Defs[name]; o != nil && fnObj != nil {
							params[o] = struct {
								fn  types.Object
								idx int
							}{fnObj, idx}
						}
						idx++
					}
					if len(fld.Names) == 0 {
						idx++
					}
				}
			}
		case *ast.RangeStmt:
			if cl, ok := ast.Unparen(n.X).(*ast.CompositeLit); ok && n.Value != nil {
				if o := objOf(info, n.Value); o != nil {
					ranges[o] = cl
				}
			}
		case *ast.CallExpr:
			if o := objOf(info, n.Fun); o != nil {
				calls[o] = append(calls[o], n)
			}
		}
		return true
	})
	var next []pendingType
	for _, pt := range c.pend {
		if p, ok := params[pt.obj]; ok {
			for _, call := range calls[p.fn] {
				if p.idx < len(call.Args) {
					if o := objOf(info, call.Args[p.idx]); o != nil {
						next = append(next, pendingType{o, pt.typ})
					}
				}
			}
			continue
		}
		if cl, ok := ranges[pt.obj]; ok {
			for _, el := range cl.Elts {
				if o := objOf(info, el); o != nil {
					next = append(next, pendingType{o, pt.typ})
				}
			}
			continue
		}
		next = append(next, pt)
	}
	c.pend = next
}
