package envdrift

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/streamaudit/streamaudit/checks"
)

// Read is one environment read in Go code whose key is known.
type Read struct {
	Name string
	Loc  checks.Location
	Pkg  string // import path of the reading package
	Via  string // how it was read: "os.Getenv", "helper envOr", "caarlos0/env tag", ...
}

// DynamicRead is an env read whose key cannot be resolved statically, or a scan of the
// whole environment (os.Environ).
type DynamicRead struct {
	Loc  checks.Location
	Pkg  string
	Expr string
	Fix  string // advice when the generic one (constant names, env.allow) does not fit
}

// PrefixRead is a read of every variable whose name starts with Prefix (a configuration
// library that loads the environment by prefix, such as koanf's env provider): any such
// variable counts as read by the binaries that hold Pkg.
type PrefixRead struct {
	Prefix string
	Loc    checks.Location
	Pkg    string
	Via    string
}

// HardCode is a place where a setting that could come from the environment is fixed in
// code (a kgo.ConsumeResetOffset call, an "auto.offset.reset" literal, ...).
type HardCode struct {
	Property string // librdkafka-style property, e.g. auto.offset.reset
	Loc      checks.Location
	Pkg      string
	Expr     string
}

// Binary is one main package of the audited module.
type Binary struct {
	Dir     string // "./cmd/x"
	Name    string // "x"
	PkgPath string
	closure map[string]bool
}

// GoInventory is what the Go code tells about the environment.
type GoInventory struct {
	Reads     []Read
	Prefixes  []PrefixRead
	Dynamic   []DynamicRead
	HardCodes []HardCode
	Binaries  []*Binary
	// Incomplete is true when a package of the module had load or type errors: reads
	// may be missing, so findings built on their absence have low confidence.
	Incomplete bool
}

// BinariesOf returns the binaries (their Dir) whose import closure holds pkg.
func (g *GoInventory) BinariesOf(pkg string) []string {
	var out []string
	for _, b := range g.Binaries {
		if b.closure[pkg] {
			out = append(out, b.Dir)
		}
	}
	return out
}

// Binary finds a binary by Dir or Name.
func (g *GoInventory) Binary(name string) *Binary {
	clean := "./" + strings.TrimPrefix(strings.TrimPrefix(name, "./"), "/")
	for _, b := range g.Binaries {
		if b.Dir == clean || b.Name == name || b.PkgPath == name {
			return b
		}
	}
	return nil
}

// keyKind says how far an env key could be resolved.
type keyKind int

const (
	keyDynamic keyKind = iota
	keyConst
	keyParam // prefix + <parameter> + suffix of the enclosing function
	keyList  // one of several constants (a range over a literal of constants)
)

type keyVal struct {
	kind           keyKind
	s              string   // keyConst
	list           []string // keyList
	owner          types.Object
	ownerLit       *ast.FuncLit // the anonymous function owning the parameter
	param          int
	prefix, suffix string
}

// helper describes a module function (or closure variable) that reads the environment
// with a key built from one of its parameters.
type helper struct {
	param          int
	prefix, suffix string
	name           string
}

// fnCtx is one function body being analysed: a declared function or a function literal.
type fnCtx struct {
	obj    types.Object // *types.Func, or the *types.Var a literal is assigned to; nil if anonymous
	lit    *ast.FuncLit
	params map[*types.Var]int
	outer  *fnCtx
	name   string
}

type goAnalyzer struct {
	ws       *checks.Workspace
	pkgs     []*packages.Package
	helpers  map[types.Object]*helper
	envFuncs map[*types.Var]bool // function-typed variables that hold os.Getenv/LookupEnv
	inv      *GoInventory
	changed  bool
	final    bool
	seenRead map[string]bool
	// passThrough holds os.Environ() calls that hand the environment to a child process
	// (append(os.Environ(), ...), Env: os.Environ(), cmd.Env = ...): not reads.
	passThrough map[ast.Node]bool
	// rangeLits maps range variables to the composite literal they range over.
	rangeLits map[*types.Var]rangeLit
	// handled holds env calls another pass explained (flag env fallbacks).
	handled map[ast.Node]bool
	// litEnv holds anonymous functions that wrap an env read of their first parameter.
	litEnv map[*ast.FuncLit]bool
	// locals holds what each function-local variable of the module is assigned.
	locals map[*types.Var]*localVal
}

// localVal is what a function-local variable is assigned: a key held in a variable
// (envKey := "CONFIG_FILEPATH"; os.Getenv(envKey)) resolves through its value when it is
// assigned exactly once and nothing else can change it.
type localVal struct {
	expr ast.Expr // the value of its only assignment; nil when declared without one
	n    int      // assignments
	bad  bool     // changed in a way not followed: op-assignment, multi-value, &v, range, ++
}

// collectLocals records every assignment to a function-local variable in p (a local is
// only assignable inside the function that declares it, closures included, all of which
// this walk sees).
func (a *goAnalyzer) collectLocals(p *packages.Package) {
	info := p.TypesInfo
	set := func(e ast.Expr, val ast.Expr, followed bool) {
		id, ok := ast.Unparen(e).(*ast.Ident)
		if !ok || id.Name == "_" {
			return
		}
		obj := info.Defs[id]
		if obj == nil {
			obj = info.Uses[id]
		}
		v, ok := obj.(*types.Var)
		if !ok || v.IsField() || v.Pkg() == nil || v.Parent() == nil || v.Parent() == v.Pkg().Scope() {
			return
		}
		lv := a.locals[v]
		if lv == nil {
			lv = &localVal{}
			a.locals[v] = lv
		}
		lv.n++
		lv.expr = val
		lv.bad = lv.bad || !followed
	}
	for _, f := range p.Syntax {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				plain := (n.Tok == token.DEFINE || n.Tok == token.ASSIGN) && len(n.Lhs) == len(n.Rhs)
				for i, l := range n.Lhs {
					if plain {
						set(l, n.Rhs[i], true)
					} else {
						set(l, nil, false)
					}
				}
			case *ast.ValueSpec:
				for i, id := range n.Names {
					switch {
					case len(n.Values) == len(n.Names):
						set(id, n.Values[i], true)
					case len(n.Values) == 0:
						set(id, nil, true) // the zero value: counts as an assignment
					default:
						set(id, nil, false)
					}
				}
			case *ast.UnaryExpr:
				if n.Op == token.AND {
					set(n.X, nil, false)
				}
			case *ast.IncDecStmt:
				set(n.X, nil, false)
			case *ast.RangeStmt:
				if n.Key != nil {
					set(n.Key, nil, false)
				}
				if n.Value != nil {
					set(n.Value, nil, false)
				}
			}
			return true
		})
	}
}

type rangeLit struct {
	lit   *ast.CompositeLit
	isKey bool // the key of a map literal, else the element value
}

// moduleFiles reports whether pkg belongs to the audited tree (its files are below the root).
func moduleFiles(ws *checks.Workspace, p *packages.Package) bool {
	if len(p.CompiledGoFiles) == 0 && len(p.GoFiles) == 0 {
		return false
	}
	f := p.GoFiles
	if len(f) == 0 {
		f = p.CompiledGoFiles
	}
	rel := ws.Rel(f[0])
	return !filepath.IsAbs(filepath.FromSlash(rel)) && !strings.HasPrefix(rel, "..")
}

// analyzeGo builds the Go env inventory from the workspace packages (loaded once, shared).
func analyzeGo(ws *checks.Workspace, roots []*packages.Package) *GoInventory {
	inv := &GoInventory{}
	var mod []*packages.Package
	packages.Visit(roots, nil, func(p *packages.Package) {
		if moduleFiles(ws, p) {
			if len(p.Errors) > 0 || p.TypesInfo == nil {
				inv.Incomplete = true
			}
			if p.TypesInfo != nil {
				mod = append(mod, p)
			}
		}
	})
	sort.Slice(mod, func(i, j int) bool { return mod[i].PkgPath < mod[j].PkgPath })
	for _, p := range mod {
		if p.Name != "main" {
			continue
		}
		files := p.GoFiles
		if len(files) == 0 {
			files = p.CompiledGoFiles
		}
		dir := filepath.Dir(files[0])
		rel := ws.Rel(dir)
		b := &Binary{Dir: "./" + rel, Name: filepath.Base(dir), PkgPath: p.PkgPath, closure: map[string]bool{}}
		if rel == "." {
			b.Dir = "."
			b.Name = filepath.Base(ws.Root)
		}
		packages.Visit([]*packages.Package{p}, func(q *packages.Package) bool {
			if b.closure[q.PkgPath] {
				return false
			}
			b.closure[q.PkgPath] = true
			return true
		}, nil)
		inv.Binaries = append(inv.Binaries, b)
	}
	a := &goAnalyzer{ws: ws, pkgs: mod, helpers: map[types.Object]*helper{}, envFuncs: map[*types.Var]bool{}, inv: inv, seenRead: map[string]bool{}, passThrough: map[ast.Node]bool{}, rangeLits: map[*types.Var]rangeLit{}, handled: map[ast.Node]bool{}, litEnv: map[*ast.FuncLit]bool{}, locals: map[*types.Var]*localVal{}}
	for _, p := range mod {
		a.collectLocals(p)
	}
	for i := 0; i < 8; i++ {
		a.changed = false
		a.walkAll()
		if !a.changed {
			break
		}
	}
	for _, p := range mod {
		a.flagFallbacks(p, a.handled)
	}
	a.final = true
	a.walkAll()
	for _, p := range mod {
		a.structLibs(p)
		a.ffParse(p)
		a.hardCodes(p)
	}
	return inv
}

func (a *goAnalyzer) walkAll() {
	for _, p := range a.pkgs {
		for _, f := range p.Syntax {
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				obj := p.TypesInfo.Defs[fd.Name]
				c := &fnCtx{obj: obj, params: paramIndex(p.TypesInfo, fd.Type), name: fd.Name.Name}
				a.walkBody(p, c, fd.Body)
			}
			// package-level var initialisers (var x = os.Getenv("X"))
			for _, d := range f.Decls {
				if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.VAR {
					a.walkBody(p, &fnCtx{params: map[*types.Var]int{}}, gd)
				}
			}
		}
	}
}

func paramIndex(info *types.Info, ft *ast.FuncType) map[*types.Var]int {
	m := map[*types.Var]int{}
	i := 0
	if ft.Params == nil {
		return m
	}
	for _, field := range ft.Params.List {
		if len(field.Names) == 0 {
			i++
			continue
		}
		for _, n := range field.Names {
			if v, ok := info.Defs[n].(*types.Var); ok {
				m[v] = i
			}
			i++
		}
	}
	return m
}

// walkBody visits one body; function literals get their own context.
func (a *goAnalyzer) walkBody(p *packages.Package, c *fnCtx, body ast.Node) {
	info := p.TypesInfo
	// name function literals assigned to variables
	litObj := map[*ast.FuncLit]types.Object{}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.RangeStmt:
			if lit, ok := ast.Unparen(n.X).(*ast.CompositeLit); ok && n.Tok == token.DEFINE {
				if id, ok := n.Key.(*ast.Ident); ok && n.Key != nil {
					if v, ok := info.Defs[id].(*types.Var); ok {
						a.rangeLits[v] = rangeLit{lit: lit, isKey: true}
					}
				}
				if id, ok := n.Value.(*ast.Ident); ok && n.Value != nil {
					if v, ok := info.Defs[id].(*types.Var); ok {
						a.rangeLits[v] = rangeLit{lit: lit}
					}
				}
			}
		case *ast.CallExpr:
			if id, ok := ast.Unparen(n.Fun).(*ast.Ident); ok && id.Name == "append" && len(n.Args) > 0 {
				if _, isBuiltin := info.Uses[id].(*types.Builtin); isBuiltin {
					a.passThrough[ast.Unparen(n.Args[0])] = true
				}
			}
		case *ast.KeyValueExpr:
			if id, ok := n.Key.(*ast.Ident); ok {
				if id.Name == "Env" {
					a.passThrough[ast.Unparen(n.Value)] = true
				}
				// Config{Lookup: os.LookupEnv}: the field holds an env function
				if f, ok := info.Uses[id].(*types.Var); ok && f.IsField() && a.isEnvFuncValue(info, n.Value) {
					a.markEnvFunc(f.Origin())
				}
			}
		}
		if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
			for i, l := range as.Lhs {
				if sel, ok := l.(*ast.SelectorExpr); ok {
					if sel.Sel.Name == "Env" {
						a.passThrough[ast.Unparen(as.Rhs[i])] = true
					}
					// cfg.Lookup = os.LookupEnv
					if s, ok := info.Selections[sel]; ok && s.Kind() == types.FieldVal && a.isEnvFuncValue(info, as.Rhs[i]) {
						if f, ok := s.Obj().(*types.Var); ok {
							a.markEnvFunc(f.Origin())
						}
					}
				}
			}
		}
		switch n := n.(type) {
		case *ast.AssignStmt:
			if len(n.Lhs) == len(n.Rhs) {
				for i, r := range n.Rhs {
					id, ok := n.Lhs[i].(*ast.Ident)
					if !ok {
						continue
					}
					obj := info.Defs[id]
					if obj == nil {
						obj = info.Uses[id]
					}
					if fl, ok := r.(*ast.FuncLit); ok {
						litObj[fl] = obj
					}
					if v, ok := obj.(*types.Var); ok && a.isEnvFuncValue(info, r) && !a.envFuncs[v] {
						a.envFuncs[v] = true
						a.changed = true
					}
				}
			}
		case *ast.ValueSpec:
			for i, r := range n.Values {
				if i >= len(n.Names) {
					break
				}
				obj := info.Defs[n.Names[i]]
				if fl, ok := r.(*ast.FuncLit); ok {
					litObj[fl] = obj
				}
				if v, ok := obj.(*types.Var); ok && a.isEnvFuncValue(info, r) && !a.envFuncs[v] {
					a.envFuncs[v] = true
					a.changed = true
				}
			}
		}
		return true
	})
	var visit func(c *fnCtx, n ast.Node)
	visit = func(c *fnCtx, root ast.Node) {
		ast.Inspect(root, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				if n == root {
					return true
				}
				name := "func literal"
				if o := litObj[n]; o != nil {
					name = o.Name()
				}
				inner := &fnCtx{obj: litObj[n], lit: n, params: paramIndex(info, n.Type), outer: c, name: name}
				visit(inner, n.Body)
				return false
			case *ast.CallExpr:
				a.call(p, c, n)
			}
			return true
		})
	}
	visit(c, body)
}

// markEnvFunc records that v holds os.Getenv/os.LookupEnv (or a wrapper).
func (a *goAnalyzer) markEnvFunc(v *types.Var) {
	if !a.envFuncs[v] {
		a.envFuncs[v] = true
		a.changed = true
	}
}

// calleeObj returns the object a call invokes: a *types.Func (origin of generics and
// methods) or a *types.Var holding a function.
func calleeObj(info *types.Info, fun ast.Expr) types.Object {
	switch f := ast.Unparen(fun).(type) {
	case *ast.Ident:
		return originOf(info.Uses[f])
	case *ast.SelectorExpr:
		if sel, ok := info.Selections[f]; ok {
			return originOf(sel.Obj())
		}
		return originOf(info.Uses[f.Sel])
	case *ast.IndexExpr:
		return calleeObj(info, f.X)
	case *ast.IndexListExpr:
		return calleeObj(info, f.X)
	}
	return nil
}

func originOf(o types.Object) types.Object {
	switch o := o.(type) {
	case *types.Func:
		return o.Origin()
	case *types.Var:
		return o.Origin()
	}
	return o
}

func isPkgFunc(o types.Object, pkg string, names ...string) bool {
	f, ok := o.(*types.Func)
	if !ok || f.Pkg() == nil || f.Pkg().Path() != pkg {
		return false
	}
	if sig, ok := f.Type().(*types.Signature); ok && sig.Recv() != nil {
		return false
	}
	for _, n := range names {
		if f.Name() == n {
			return true
		}
	}
	return false
}

// isEnvFuncValue reports whether e (used as a value, not called) is os.Getenv,
// os.LookupEnv, syscall.Getenv, a variable known to hold one of them, or a one-parameter
// helper whose key is its parameter.
func (a *goAnalyzer) isEnvFuncValue(info *types.Info, e ast.Expr) bool {
	var obj types.Object
	switch x := ast.Unparen(e).(type) {
	case *ast.FuncLit:
		return a.litEnv[x]
	case *ast.Ident:
		obj = originOf(info.Uses[x])
	case *ast.SelectorExpr:
		obj = originOf(info.Uses[x.Sel])
	default:
		return false
	}
	if isPkgFunc(obj, "os", "Getenv", "LookupEnv") || isPkgFunc(obj, "syscall", "Getenv") {
		return true
	}
	if v, ok := obj.(*types.Var); ok && a.envFuncs[v] {
		return true
	}
	if h := a.helpers[obj]; h != nil && h.param == 0 && h.prefix == "" && h.suffix == "" {
		if sig, ok := obj.Type().Underlying().(*types.Signature); ok && sig.Params().Len() == 1 {
			return true
		}
	}
	return false
}

// call classifies one call expression.
func (a *goAnalyzer) call(p *packages.Package, c *fnCtx, call *ast.CallExpr) {
	info := p.TypesInfo
	obj := calleeObj(info, call.Fun)
	// Function values flowing into parameters: f(os.LookupEnv) makes f's parameter an
	// env function inside f.
	if fn, ok := obj.(*types.Func); ok {
		if sig, ok := fn.Type().(*types.Signature); ok {
			for i, arg := range call.Args {
				if i >= sig.Params().Len() || (sig.Variadic() && i >= sig.Params().Len()-1) {
					break
				}
				if a.isEnvFuncValue(info, arg) {
					if v := sig.Params().At(i); !a.envFuncs[v] {
						a.envFuncs[v] = true
						a.changed = true
					}
				}
			}
		}
	}
	via := ""
	keyArg := 0
	var h *helper
	switch {
	case isPkgFunc(obj, "os", "Getenv", "LookupEnv"):
		via = "os." + obj.Name()
	case isPkgFunc(obj, "syscall", "Getenv"):
		via = "syscall.Getenv"
	case isPkgFunc(obj, "os", "Environ") || isPkgFunc(obj, "syscall", "Environ"):
		if a.final && !a.passThrough[call] {
			a.dynamic(p, call, obj.Pkg().Name()+".Environ() scans the whole environment")
		}
		return
	case isPkgFunc(obj, "os", "ExpandEnv"):
		a.expand(p, c, call, call.Args, "os.ExpandEnv")
		return
	case isPkgFunc(obj, "os", "Expand"):
		if len(call.Args) == 2 && a.isEnvFuncValue(info, call.Args[1]) {
			a.expand(p, c, call, call.Args[:1], "os.Expand")
		}
		return
	default:
		if v, ok := obj.(*types.Var); ok && a.envFuncs[v] {
			via = "env function " + v.Name()
			break
		}
		if h = a.helpers[obj]; h != nil {
			via = "helper " + h.name
			keyArg = h.param
			break
		}
		return
	}
	if keyArg >= len(call.Args) {
		return
	}
	k := a.resolveKey(info, c, call.Args[keyArg], 0)
	if h != nil {
		k = applyHelper(k, h)
	}
	a.use(p, c, call, k, via)
}

func applyHelper(k keyVal, h *helper) keyVal {
	switch k.kind {
	case keyConst:
		k.s = h.prefix + k.s + h.suffix
	case keyList:
		k.list = affix(h.prefix, k.list, h.suffix)
	case keyParam:
		k.prefix = h.prefix + k.prefix
		k.suffix = k.suffix + h.suffix
	}
	return k
}

// use records the outcome of one env access with key k.
func (a *goAnalyzer) use(p *packages.Package, c *fnCtx, call ast.Node, k keyVal, via string) {
	if a.handled[call] {
		return
	}
	switch k.kind {
	case keyList:
		for _, s := range k.list {
			a.use(p, c, call, keyVal{kind: keyConst, s: s}, via)
		}
	case keyConst:
		if a.final && validEnvName(k.s) {
			a.read(p, call, k.s, via)
		} else if a.final {
			a.dynamic(p, call, "key "+strconvQuote(k.s)+" is not a variable name")
		}
	case keyParam:
		if k.owner == nil {
			if k.ownerLit != nil && k.param == 0 && k.prefix == "" && k.suffix == "" {
				// an anonymous wrapper (func(k string) string { return os.Getenv(k) }):
				// reads happen where it is called, through the parameter it is passed to
				if !a.litEnv[k.ownerLit] {
					a.litEnv[k.ownerLit] = true
					a.changed = true
				}
				return
			}
			if a.final {
				a.dynamic(p, call, "key comes from a parameter of an anonymous function")
			}
			return
		}
		nh := &helper{param: k.param, prefix: k.prefix, suffix: k.suffix, name: k.owner.Name()}
		if old := a.helpers[k.owner]; old == nil {
			a.helpers[k.owner] = nh
			a.changed = true
		}
	default:
		if a.final {
			a.dynamic(p, call, "non-constant key "+exprString(p.Fset, call))
		}
	}
}

func (a *goAnalyzer) expand(p *packages.Package, c *fnCtx, call *ast.CallExpr, args []ast.Expr, via string) {
	if len(args) == 0 || !a.final {
		return
	}
	k := a.resolveKey(p.TypesInfo, c, args[0], 0)
	if k.kind != keyConst {
		a.dynamic(p, call, via+" of a non-constant string")
		return
	}
	for _, name := range expandNames(k.s) {
		a.read(p, call, name, via)
	}
}

// expandNames lists the $VAR and ${VAR} references os.Expand would look up.
func expandNames(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			continue
		}
		j := i + 1
		if s[j] == '{' {
			end := strings.IndexByte(s[j:], '}')
			if end < 0 {
				break
			}
			out = append(out, s[j+1:j+end])
			i = j + end
			continue
		}
		for j < len(s) && (s[j] == '_' || isAlnum(s[j])) {
			j++
		}
		if j > i+1 {
			out = append(out, s[i+1:j])
		}
		i = j - 1
	}
	return out
}

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// resolveKey computes what an env key expression is: a constant (through consts and
// concatenation), prefix+parameter+suffix of an enclosing function, or dynamic.
func (a *goAnalyzer) resolveKey(info *types.Info, c *fnCtx, e ast.Expr, depth int) keyVal {
	if depth > 8 {
		return keyVal{}
	}
	if tv, ok := info.Types[e]; ok && tv.Value != nil && tv.Value.Kind() == constant.String {
		return keyVal{kind: keyConst, s: constant.StringVal(tv.Value)}
	}
	switch x := e.(type) {
	case *ast.ParenExpr:
		return a.resolveKey(info, c, x.X, depth+1)
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return keyVal{}
		}
		l := a.resolveKey(info, c, x.X, depth+1)
		r := a.resolveKey(info, c, x.Y, depth+1)
		switch {
		case l.kind == keyConst && r.kind == keyConst:
			return keyVal{kind: keyConst, s: l.s + r.s}
		case l.kind == keyConst && r.kind == keyList:
			return keyVal{kind: keyList, list: affix(l.s, r.list, "")}
		case l.kind == keyList && r.kind == keyConst:
			return keyVal{kind: keyList, list: affix("", l.list, r.s)}
		case l.kind == keyConst && r.kind == keyParam:
			r.prefix = l.s + r.prefix
			return r
		case l.kind == keyParam && r.kind == keyConst:
			l.suffix += r.s
			return l
		}
		return keyVal{}
	case *ast.CallExpr:
		obj := calleeObj(info, x.Fun)
		if isPkgFunc(obj, "strings", "ToUpper") && len(x.Args) == 1 {
			k := a.resolveKey(info, c, x.Args[0], depth+1)
			if k.kind == keyConst {
				k.s = strings.ToUpper(k.s)
				return k
			}
		}
		return keyVal{}
	case *ast.SelectorExpr:
		// f.name where f ranges over a literal of struct literals
		id, ok := x.X.(*ast.Ident)
		if !ok {
			return keyVal{}
		}
		v, _ := info.Uses[id].(*types.Var)
		rl, ok := a.rangeLits[v]
		if !ok || rl.isKey {
			return keyVal{}
		}
		var vals []ast.Expr
		for _, el := range rl.lit.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				el = kv.Value
			}
			cl, ok := el.(*ast.CompositeLit)
			if !ok {
				return keyVal{}
			}
			fv := fieldValue(info, cl, x.Sel.Name)
			if fv == nil {
				return keyVal{}
			}
			vals = append(vals, fv)
		}
		return a.constList(info, c, vals, depth)
	case *ast.Ident:
		v, ok := info.Uses[x].(*types.Var)
		if !ok {
			return keyVal{}
		}
		if rl, ok := a.rangeLits[v]; ok {
			var vals []ast.Expr
			for _, el := range rl.lit.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					if rl.isKey {
						el = kv.Key
					} else {
						el = kv.Value
					}
				} else if rl.isKey {
					return keyVal{} // the index of a slice, not a name
				}
				vals = append(vals, el)
			}
			return a.constList(info, c, vals, depth)
		}
		for cc := c; cc != nil; cc = cc.outer {
			if i, ok := cc.params[v]; ok {
				return keyVal{kind: keyParam, owner: cc.obj, ownerLit: cc.lit, param: i}
			}
		}
		if lv := a.locals[v]; lv != nil && lv.n == 1 && !lv.bad && lv.expr != nil {
			return a.resolveKey(info, c, lv.expr, depth+1)
		}
	}
	return keyVal{}
}

// constList resolves every expression to a constant, or gives up (dynamic).
func (a *goAnalyzer) constList(info *types.Info, c *fnCtx, es []ast.Expr, depth int) keyVal {
	var out []string
	for _, e := range es {
		k := a.resolveKey(info, c, e, depth+1)
		if k.kind != keyConst {
			return keyVal{}
		}
		out = append(out, k.s)
	}
	if len(out) == 0 {
		return keyVal{}
	}
	return keyVal{kind: keyList, list: out}
}

// fieldValue returns the value of field name in a struct literal (keyed or positional).
func fieldValue(info *types.Info, cl *ast.CompositeLit, name string) ast.Expr {
	for i, el := range cl.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok && id.Name == name {
				return kv.Value
			}
			continue
		}
		tv, ok := info.Types[cl]
		if !ok {
			return nil
		}
		st, ok := tv.Type.Underlying().(*types.Struct)
		if !ok || i >= st.NumFields() {
			return nil
		}
		if st.Field(i).Name() == name {
			return el
		}
	}
	return nil
}

func affix(prefix string, list []string, suffix string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = prefix + s + suffix
	}
	return out
}

func (a *goAnalyzer) loc(p *packages.Package, n ast.Node) checks.Location {
	pos := p.Fset.Position(n.Pos())
	return checks.Location{File: a.ws.Rel(pos.Filename), Line: pos.Line, Column: pos.Column}
}

func (a *goAnalyzer) read(p *packages.Package, n ast.Node, name, via string) {
	l := a.loc(p, n)
	key := name + "\x00" + l.String() + ":" + strconv.Itoa(l.Column)
	if a.seenRead[key] {
		return
	}
	a.seenRead[key] = true
	a.inv.Reads = append(a.inv.Reads, Read{Name: name, Loc: l, Pkg: p.PkgPath, Via: via})
}

func (a *goAnalyzer) dynamic(p *packages.Package, n ast.Node, what string) {
	a.dynamicFix(p, n, what, "")
}

func (a *goAnalyzer) dynamicFix(p *packages.Package, n ast.Node, what, fix string) {
	l := a.loc(p, n)
	key := "dyn\x00" + l.String() + ":" + strconv.Itoa(l.Column)
	if a.seenRead[key] {
		return
	}
	a.seenRead[key] = true
	a.inv.Dynamic = append(a.inv.Dynamic, DynamicRead{Loc: l, Pkg: p.PkgPath, Expr: what, Fix: fix})
}

// validEnvName reports whether s can name an environment variable a shell can set.
func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b == '_' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || i > 0 && b >= '0' && b <= '9' {
			continue
		}
		return false
	}
	return true
}
