package kafkasecurity

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"github.com/streamaudit/streamaudit/analyzers/internal/kafkalib"
)

// state is what the evaluator knows about a value: whether security reaches it on some
// path, whether some source could not be resolved, which parameters of the enclosing
// function it depends on, and the client roles its options imply.
type state struct {
	secure  bool
	unknown bool
	reason  string
	params  uint64
	calls   uint64 // results of calling these function-typed parameters
	roles   uint8
}

func (s *state) join(o state) {
	s.secure = s.secure || o.secure
	if o.unknown && !s.unknown {
		s.unknown, s.reason = true, o.reason
	}
	s.params |= o.params
	s.calls |= o.calls
	s.roles |= o.roles
}

func unknown(reason string) state { return state{unknown: true, reason: reason} }

func (p *pkgState) resetCaches() {
	p.cache = map[types.Object]state{}
	p.busy = map[types.Object]bool{}
	p.retC = map[*types.Func]state{}
	p.retBusy = map[*types.Func]bool{}
}

func (p *pkgState) eval(e ast.Expr) state {
	e = ast.Unparen(e)
	if e == nil {
		return state{}
	}
	if tv, ok := p.info.Types[e]; ok {
		if tv.IsNil() || tv.Value != nil {
			return state{}
		}
		if tv.Type != nil && !relevant(tv.Type) {
			return state{}
		}
	}
	switch e := e.(type) {
	case *ast.Ident:
		if v, ok := p.info.ObjectOf(e).(*types.Var); ok {
			return p.evalObj(v)
		}
		return state{}
	case *ast.SelectorExpr:
		if sel := p.info.Selections[e]; sel != nil {
			if sel.Kind() == types.FieldVal {
				return p.evalObj(sel.Obj().(*types.Var))
			}
			return unknown("method value " + e.Sel.Name)
		}
		if v, ok := p.info.Uses[e.Sel].(*types.Var); ok {
			return p.evalObj(v)
		}
		return state{}
	case *ast.StarExpr:
		return p.eval(e.X)
	case *ast.UnaryExpr:
		return p.eval(e.X)
	case *ast.IndexExpr:
		return p.eval(e.X)
	case *ast.SliceExpr:
		return p.eval(e.X)
	case *ast.TypeAssertExpr:
		return p.eval(e.X)
	case *ast.CallExpr:
		return p.evalCall(e)
	case *ast.CompositeLit:
		return p.evalLit(e)
	case *ast.BasicLit, *ast.FuncLit:
		return state{}
	}
	return unknown("unresolved expression")
}

func (p *pkgState) evalObj(v *types.Var) state {
	if v == nil {
		return state{}
	}
	if s, ok := p.cache[v]; ok {
		return s
	}
	if p.busy[v] {
		return state{}
	}
	p.busy[v] = true
	defer delete(p.busy, v)
	var s state
	if p.marks[v] {
		s.secure = true
	}
	if b, ok := p.params[v]; ok {
		s.params |= b
	} else if p.closureParams[v] {
		s.join(unknown("closure parameter " + v.Name()))
	}
	if v.Pkg() != nil && v.Pkg() != p.pass.Pkg {
		if kafkalib.IsKafka(kafkalib.Short(v.Pkg().Path())) {
			return state{} // library fields are read as set by this package
		}
		var vf varFact
		if p.pass.ImportObjectFact(v, &vf) {
			s.secure = true
		} else if !p.bodies(v.Pkg()) {
			s.join(unknown("no source for " + v.Pkg().Name() + "." + v.Name()))
		}
		p.cache[v] = s
		return s
	}
	for _, e := range p.assigns[v] {
		s.join(p.eval(e))
	}
	if v.IsField() && len(p.assigns[v]) == 0 && !p.marks[v] {
		s.join(unknown("field " + v.Name() + " is never set in this package"))
	}
	p.cache[v] = s
	return s
}

func (p *pkgState) bodies(pkg *types.Package) bool {
	var f pkgFact
	return !p.pass.ImportPackageFact(pkg, &f) || !f.NoBodies
}

// argFor returns the expressions passed for a parameter bit of fn at call.
func argFor(call *ast.CallExpr, fn *types.Func, bit int) []ast.Expr {
	if bit == 0 {
		if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
			return []ast.Expr{sel.X}
		}
		return nil
	}
	i := bit - 1
	sig, _ := fn.Type().(*types.Signature)
	if sig != nil && sig.Variadic() && i == sig.Params().Len()-1 && call.Ellipsis == token.NoPos {
		if i < len(call.Args) {
			return call.Args[i:]
		}
		return nil
	}
	if i < len(call.Args) {
		return []ast.Expr{call.Args[i]}
	}
	return nil
}

func (p *pkgState) evalArgs(call *ast.CallExpr, fn *types.Func, bits uint64) state {
	var s state
	for b := 0; b < 64; b++ {
		if bits&(1<<uint(b)) == 0 {
			continue
		}
		for _, a := range argFor(call, fn, b) {
			s.join(p.eval(a))
		}
	}
	return s
}

// summary returns fn's summary: local inference or an imported fact.
func (p *pkgState) summary(fn *types.Func) *funcFact {
	if fn == nil {
		return nil
	}
	fn = fn.Origin()
	if s, ok := p.sum[fn]; ok {
		return s
	}
	if fn.Pkg() != nil && fn.Pkg() != p.pass.Pkg {
		var f funcFact
		if p.pass.ImportObjectFact(fn, &f) {
			return &f
		}
	}
	return nil
}

// declared reports whether fn is a provider by directive or configuration.
func (p *pkgState) declared(fn *types.Func) bool {
	fn = fn.Origin()
	if p.directives[fn] || p.cfg.providers[fn.FullName()] {
		return true
	}
	if s := p.summary(fn); s != nil && s.Effect {
		return true
	}
	return false
}

func (p *pkgState) evalCall(call *ast.CallExpr) state {
	if tv, ok := p.info.Types[call.Fun]; ok && tv.IsType() {
		if len(call.Args) == 1 {
			return p.eval(call.Args[0])
		}
		return state{}
	}
	if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok {
		if b, ok := p.info.Uses[id].(*types.Builtin); ok {
			var s state
			if b.Name() == "append" {
				for _, a := range call.Args {
					s.join(p.eval(a))
				}
			}
			return s
		}
	}
	fn := kafkalib.Callee(p.info, call)
	if fn == nil {
		if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok {
			if v, ok := p.info.Uses[id].(*types.Var); ok {
				if b, ok := p.params[v]; ok && len(p.assigns[v]) == 0 {
					return state{calls: b}
				}
			}
		}
		return unknown("call of a function value")
	}
	key := kafkalib.FuncKey(fn)
	if key != "" {
		if securityOptions[key] {
			return state{secure: true}
		}
		if r, ok := unknownOptions[key]; ok {
			return unknown(r)
		}
		switch key {
		case "slices.Concat":
			var s state
			for _, a := range call.Args {
				s.join(p.eval(a))
			}
			return s
		case "slices.Clone":
			if len(call.Args) == 1 {
				return p.eval(call.Args[0])
			}
		}
		if prefix := key[:strings.IndexByte(key, '.')]; kafkalib.IsKafka(prefix) {
			return state{roles: roleOptions[key]}
		}
	}
	if p.declared(fn) {
		return state{secure: true}
	}
	fn = fn.Origin()
	if _, local := p.decls[fn]; local {
		rs := p.returnState(fn)
		s := state{secure: rs.secure, roles: rs.roles}
		if rs.unknown {
			s.join(unknown(rs.reason))
		}
		s.join(p.evalArgs(call, fn, rs.params))
		s.join(p.evalFuncArgs(call, fn, rs.calls))
		return s
	}
	if f := p.summary(fn); f != nil {
		s := state{secure: f.Provider}
		if f.ResultUnknown {
			s.join(unknown("result of " + funcName(fn) + " could not be resolved"))
		}
		s.join(p.evalArgs(call, fn, bitsOf(f.ResultParams)))
		s.join(p.evalFuncArgs(call, fn, bitsOf(f.ResultCalls)))
		return s
	}
	if fn.Pkg() == nil {
		return state{}
	}
	if sig, ok := fn.Type().(*types.Signature); ok && sig.Recv() != nil && types.IsInterface(sig.Recv().Type()) {
		return unknown("interface method " + funcName(fn))
	}
	if fn.Pkg() != p.pass.Pkg && !p.bodies(fn.Pkg()) {
		return unknown("no source for " + funcName(fn))
	}
	return state{}
}

func (p *pkgState) returnState(fn *types.Func) state {
	if s, ok := p.retC[fn]; ok {
		return s
	}
	if p.retBusy[fn] {
		return state{}
	}
	fd := p.decls[fn]
	if fd == nil || fd.Body == nil {
		return unknown("no body for " + funcName(fn))
	}
	p.retBusy[fn] = true
	defer delete(p.retBusy, fn)
	var s state
	var named []*types.Var
	if fd.Type.Results != nil {
		for _, f := range fd.Type.Results.List {
			for _, n := range f.Names {
				if v, ok := p.info.Defs[n].(*types.Var); ok {
					named = append(named, v)
				}
			}
		}
	}
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			for _, r := range n.Results {
				s.join(p.eval(r))
			}
			if len(n.Results) == 0 {
				for _, v := range named {
					s.join(p.evalObj(v))
				}
			}
		}
		return true
	})
	p.retC[fn] = s
	return s
}

func (p *pkgState) evalLit(lit *ast.CompositeLit) state {
	t := p.typeOf(lit)
	key := kafkalib.TypeKey(t)
	var s state
	switch {
	case key == "confluent.ConfigMap":
		for _, el := range lit.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				if k, ok := kafkalib.StringConst(p.info, kv.Key); ok && securityKey(p.info, k, kv.Value) {
					s.secure = true
				}
			}
		}
		return s
	case strings.HasPrefix(key, "kafkago."):
		for _, el := range lit.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			id, ok := kv.Key.(*ast.Ident)
			if !ok {
				continue
			}
			fk := key + "." + id.Name
			if securityFields[fk] && !kafkalib.IsNil(p.info, kv.Value) {
				s.secure = true
			}
			if carryingFields[fk] {
				s.join(p.eval(kv.Value))
			}
		}
		return s
	case key != "" && kafkalib.IsKafka(key[:strings.IndexByte(key, '.')]):
		return s
	}
	for _, el := range lit.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			s.join(p.eval(kv.Value))
		} else {
			s.join(p.eval(el))
		}
	}
	return s
}

// evalFuncArgs evaluates what calling the function values passed for the bits yields.
func (p *pkgState) evalFuncArgs(call *ast.CallExpr, fn *types.Func, bits uint64) state {
	var s state
	for b := 0; b < 64; b++ {
		if bits&(1<<uint(b)) == 0 {
			continue
		}
		for _, a := range argFor(call, fn, b) {
			s.join(p.evalFuncValue(a))
		}
	}
	return s
}

// evalFuncValue evaluates the result of calling a function value: a literal's returns, or
// a named function as if called.
func (p *pkgState) evalFuncValue(e ast.Expr) state {
	switch e := ast.Unparen(e).(type) {
	case *ast.FuncLit:
		var s state
		ast.Inspect(e.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ReturnStmt:
				for _, r := range n.Results {
					s.join(p.eval(r))
				}
			}
			return true
		})
		return s
	case *ast.Ident, *ast.SelectorExpr:
		var obj types.Object
		if id, ok := e.(*ast.Ident); ok {
			obj = p.info.Uses[id]
		} else {
			obj = p.info.Uses[e.(*ast.SelectorExpr).Sel]
		}
		fn, ok := obj.(*types.Func)
		if !ok {
			return unknown("function value " + types.ExprString(e))
		}
		if p.declared(fn) {
			return state{secure: true}
		}
		if _, local := p.decls[fn.Origin()]; local {
			rs := p.returnState(fn.Origin())
			return state{secure: rs.secure, unknown: rs.unknown, reason: rs.reason}
		}
		if f := p.summary(fn); f != nil {
			if f.Provider {
				return state{secure: true}
			}
			if f.ResultUnknown {
				return unknown("result of " + funcName(fn) + " could not be resolved")
			}
			return state{}
		}
		if fn.Pkg() != nil && !p.bodies(fn.Pkg()) {
			return unknown("no source for " + funcName(fn))
		}
		return state{}
	}
	return unknown("function value " + types.ExprString(e))
}
