package kafkasecurity

import (
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/streamaudit/streamaudit/analyzers/internal/directive"
	"github.com/streamaudit/streamaudit/analyzers/internal/kafkalib"
)

// site is one construction: a library constructor call, a call of a constructor
// wrapper, or a client struct literal.
type site struct {
	call     *ast.CallExpr
	lit      *ast.CompositeLit
	fd       *ast.FuncDecl
	pos, end token.Pos
	library  string
	ctorName string
	carrier  string
	c        ctor
	via      *types.Func
	viaFact  *funcFact
	never    bool
}

func (p *pkgState) ensure(fn *types.Func) *funcFact {
	s := p.sum[fn]
	if s == nil {
		s = &funcFact{}
		p.sum[fn] = s
	}
	return s
}

func (p *pkgState) sites() []*site {
	var out []*site
	for _, cs := range p.calls {
		fn := kafkalib.Callee(p.info, cs.call)
		if fn == nil {
			continue
		}
		key := kafkalib.FuncKey(fn)
		if c, ok := ctors[key]; ok {
			lib := kafkalib.Library(key[:strings.IndexByte(key, '.')])
			carrier := "options"
			if lib != "franz-go" {
				carrier = "config"
			}
			out = append(out, &site{call: cs.call, fd: cs.fd, pos: cs.call.Pos(), end: cs.call.End(),
				library: lib, ctorName: funcName(fn), carrier: carrier, c: c, never: c.never})
			continue
		}
		if s := p.summary(fn); s != nil && s.Wrapper {
			out = append(out, &site{call: cs.call, fd: cs.fd, pos: cs.call.Pos(), end: cs.call.End(),
				library: s.Library, ctorName: funcName(fn), carrier: "arguments", via: fn.Origin(), viaFact: s})
		}
	}
	for _, ls := range p.lits {
		key := kafkalib.TypeKey(p.typeOf(ls.lit))
		name := key
		if n := kafkalib.NamedOf(p.typeOf(ls.lit)); n != nil {
			name = n.Obj().Pkg().Name() + "." + n.Obj().Name()
		}
		out = append(out, &site{lit: ls.lit, fd: ls.fd, pos: ls.lit.Pos(), end: ls.lit.End(),
			library: "kafka-go", ctorName: name, carrier: "Transport", c: ctor{role: literalCtors[key]}})
	}
	return out
}

func (p *pkgState) siteState(s *site) state {
	if s.never {
		return state{}
	}
	if s.lit != nil {
		st := p.evalLit(s.lit)
		if v, ok := p.litOwner[s.lit].(*types.Var); ok {
			st.join(p.evalObj(v))
		}
		return st
	}
	if s.via != nil {
		st := p.evalArgs(s.call, s.via, bitsOf(s.viaFact.WrapperParams))
		st.join(p.evalFuncArgs(s.call, s.via, bitsOf(s.viaFact.WrapperCalls)))
		return st
	}
	var st state
	if s.c.recv {
		if sel, ok := ast.Unparen(s.call.Fun).(*ast.SelectorExpr); ok {
			st.join(p.eval(sel.X))
		}
	}
	for _, i := range s.c.args {
		if i < len(s.call.Args) {
			st.join(p.eval(s.call.Args[i]))
		}
	}
	if s.c.allFrom >= 0 && s.c.allFrom < len(s.call.Args) {
		for _, a := range s.call.Args[s.c.allFrom:] {
			st.join(p.eval(a))
		}
	}
	return st
}

func (p *pkgState) role(s *site, st state) string {
	if s.viaFact != nil && s.viaFact.Role != "" && s.viaFact.Role != "client" {
		return s.viaFact.Role
	}
	r := roleName(st.roles, s.c.role)
	if r == "client" && s.call != nil && s.c.role == "" && p.adminWrapped(s.call) {
		return "admin"
	}
	return r
}

// adminWrapped reports whether the client a franz-go construction returns is handed to
// kadm.NewClient in this package (an admin client).
func (p *pkgState) adminWrapped(call *ast.CallExpr) bool {
	v := p.callOwner[call]
	if v == nil {
		return false
	}
	for _, cs := range p.calls {
		if kafkalib.CallKey(p.info, cs.call) == "kadm.NewClient" && len(cs.call.Args) == 1 && p.storage(cs.call.Args[0]) == v {
			return true
		}
	}
	return false
}

// infer computes mutators, providers, result dependencies and wrappers to a fixpoint.
func (p *pkgState) infer() {
	for fn := range p.directives {
		s := p.ensure(fn)
		s.Provider, s.Effect = true, true
	}
	for _, fn := range p.order {
		if p.cfg.providers[fn.FullName()] {
			s := p.ensure(fn)
			s.Provider, s.Effect = true, true
		}
	}
	for iter := 0; iter < 10; iter++ {
		changed := false
		p.resetCaches()
		for _, cs := range p.calls {
			if p.applyEffects(cs.call) {
				changed = true
			}
		}
		p.resetCaches()
		for v := range p.params {
			if p.marks[v] || len(p.assigns[v]) == 0 || !pointerish(v.Type()) {
				continue
			}
			var st state
			for _, e := range p.assigns[v] {
				st.join(p.eval(e))
			}
			if st.secure {
				p.marks[v] = true
				changed = true
			}
		}
		for v, bit := range p.params {
			if !p.marks[v] {
				continue
			}
			s := p.ensure(p.paramOwner[v])
			idx := idxList(bit)[0]
			if !slices.Contains(s.Mutates, idx) {
				s.Mutates = append(s.Mutates, idx)
				sort.Ints(s.Mutates)
				changed = true
			}
		}
		p.resetCaches()
		for _, fn := range p.order {
			sig, _ := fn.Type().(*types.Signature)
			if sig == nil || !relevant(sig.Results()) {
				continue
			}
			rs := p.returnState(fn)
			s := p.ensure(fn)
			prov := s.Effect || rs.secure
			var rp, rc []int
			if !prov {
				rp, rc = idxList(rs.params), idxList(rs.calls)
			}
			unk := rs.unknown && !prov
			if prov != s.Provider || !slices.Equal(rp, s.ResultParams) || !slices.Equal(rc, s.ResultCalls) || unk != s.ResultUnknown {
				s.Provider, s.ResultParams, s.ResultCalls, s.ResultUnknown = prov, rp, rc, unk
				changed = true
			}
		}
		p.resetCaches()
		for _, st := range p.sites() {
			ss := p.siteState(st)
			if ss.secure || (ss.params == 0 && ss.calls == 0) || st.fd == nil {
				continue
			}
			fn, _ := p.info.Defs[st.fd.Name].(*types.Func)
			if fn == nil {
				continue
			}
			s := p.ensure(fn)
			wp := idxList(bitsOf(s.WrapperParams) | ss.params)
			wc := idxList(bitsOf(s.WrapperCalls) | ss.calls)
			if !s.Wrapper || !slices.Equal(wp, s.WrapperParams) || !slices.Equal(wc, s.WrapperCalls) {
				s.Wrapper, s.WrapperParams, s.WrapperCalls, s.Library, s.Role = true, wp, wc, st.library, p.role(st, ss)
				changed = true
			}
		}
		if !changed {
			break
		}
	}
}

// applyEffects marks the arguments a call secures: mutators' parameters, declared
// providers' arguments, confluent ConfigMap.SetKey/Set of security.protocol.
func (p *pkgState) applyEffects(call *ast.CallExpr) bool {
	fn := kafkalib.Callee(p.info, call)
	if fn == nil {
		return false
	}
	changed := false
	recv := func() ast.Expr {
		if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
			return sel.X
		}
		return nil
	}
	switch kafkalib.FuncKey(fn) {
	case "confluent.ConfigMap.SetKey":
		if len(call.Args) == 2 {
			if k, ok := kafkalib.StringConst(p.info, call.Args[0]); ok && securityKey(p.info, k, call.Args[1]) {
				if r := recv(); r != nil {
					changed = p.markChain(r)
				}
			}
		}
		return changed
	case "confluent.ConfigMap.Set":
		if len(call.Args) == 1 {
			if kv, ok := kafkalib.StringConst(p.info, call.Args[0]); ok {
				k, v, _ := strings.Cut(kv, "=")
				if k == "security.protocol" && !strings.EqualFold(v, "plaintext") {
					if r := recv(); r != nil {
						changed = p.markChain(r)
					}
				}
			}
		}
		return changed
	}
	if p.declared(fn) {
		for _, a := range call.Args {
			if t := p.typeOf(a); t != nil && relevant(t) {
				if p.markChain(a) {
					changed = true
				}
			}
		}
	}
	if s := p.summary(fn); s != nil {
		for _, idx := range s.Mutates {
			for _, a := range argFor(call, fn, idx+1) {
				if p.markChain(a) {
					changed = true
				}
			}
		}
	}
	return changed
}

func (p *pkgState) check() *Result {
	rep := &directive.Reporter{Pass: p.pass, Rule: Rule, Honor: p.cfg.honor}
	p.resetCaches()
	res := &Result{}
	for _, s := range p.sites() {
		st := p.siteState(s)
		if !st.secure && (st.params != 0 || st.calls != 0) && s.fd != nil {
			if fn, _ := p.info.Defs[s.fd.Name].(*types.Func); fn != nil {
				if f := p.sum[fn]; f != nil && f.Wrapper {
					continue // checked at the wrapper's callers
				}
			}
		}
		if !p.cfg.tests && strings.HasSuffix(p.pass.Fset.Position(s.pos).Filename, "_test.go") {
			continue
		}
		c := Client{Pos: s.pos, End: s.end, Library: s.library, Role: p.role(s, st), Secured: st.secure}
		if s.via != nil {
			c.Via = funcName(s.via)
		}
		if s.fd != nil {
			c.Func = s.fd.Name.Name
		}
		res.Clients = append(res.Clients, c)
		if !st.secure {
			p.report(rep, s, st)
		}
	}
	return res
}

func (p *pkgState) exportFacts() {
	if len(p.decls) > 0 && !p.hasBodies {
		p.pass.ExportPackageFact(&pkgFact{NoBodies: true})
	}
	for _, fn := range p.order {
		s := p.sum[fn]
		if s == nil {
			continue
		}
		if s.Provider || s.Effect || len(s.ResultParams) > 0 || len(s.ResultCalls) > 0 || s.ResultUnknown || s.Wrapper || len(s.Mutates) > 0 {
			p.pass.ExportObjectFact(fn, s)
		}
	}
	p.resetCaches()
	seen := map[types.Object]bool{}
	export := func(o types.Object) {
		v, ok := o.(*types.Var)
		if !ok || seen[o] || v.Pkg() != p.pass.Pkg {
			return
		}
		seen[o] = true
		if !v.IsField() && v.Parent() != p.pass.Pkg.Scope() {
			return
		}
		if p.evalObj(v).secure {
			p.pass.ExportObjectFact(v, &varFact{})
		}
	}
	for o := range p.assigns {
		export(o)
	}
	for o := range p.marks {
		export(o)
	}
}

// suggestFix proposes adding a parameterless provider's options to a franz-go
// constructor call.
func (p *pkgState) suggestFix(call *ast.CallExpr) (analysis.SuggestedFix, bool) {
	var file *ast.File
	for _, f := range p.pass.Files {
		if f.FileStart <= call.Pos() && call.Pos() < f.FileEnd {
			file = f
		}
	}
	if file == nil {
		return analysis.SuggestedFix{}, false
	}
	type cand struct {
		expr     string
		slice    bool
		declared bool
	}
	var cands []cand
	shape := func(fn *types.Func) (bool, bool) {
		sig, _ := fn.Type().(*types.Signature)
		if sig == nil || sig.Recv() != nil || sig.Params().Len() != 0 || sig.Results().Len() != 1 || sig.TypeParams() != nil {
			return false, false
		}
		t := sig.Results().At(0).Type()
		if kafkalib.TypeKey(t) == "kgo.Opt" {
			return true, false
		}
		if sl, ok := types.Unalias(t).(*types.Slice); ok && kafkalib.TypeKey(sl.Elem()) == "kgo.Opt" {
			return true, true
		}
		return false, false
	}
	for _, fn := range p.order {
		if s := p.sum[fn]; s != nil && s.Provider {
			if ok, slice := shape(fn); ok {
				cands = append(cands, cand{fn.Name() + "()", slice, s.Effect})
			}
		}
	}
	imported := map[string]string{}
	for _, is := range file.Imports {
		path, err := strconv.Unquote(is.Path.Value)
		if err != nil {
			continue
		}
		name := ""
		if is.Name != nil {
			name = is.Name.Name
		}
		imported[path] = name
	}
	var foreign []cand
	for _, of := range p.pass.AllObjectFacts() {
		f, ok := of.Fact.(*funcFact)
		fn, isFn := of.Object.(*types.Func)
		if !ok || !isFn || !f.Provider || fn.Pkg() == p.pass.Pkg {
			continue
		}
		name, imp := imported[fn.Pkg().Path()]
		if !imp || name == "_" || name == "." {
			continue
		}
		if name == "" {
			name = fn.Pkg().Name()
		}
		if ok, slice := shape(fn); ok {
			foreign = append(foreign, cand{name + "." + fn.Name() + "()", slice, f.Effect})
		}
	}
	cands = append(cands, foreign...)
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].declared != cands[j].declared {
			return cands[i].declared
		}
		return i < j && cands[i].expr < cands[j].expr
	})
	if len(cands) == 0 {
		return analysis.SuggestedFix{}, false
	}
	c := cands[0]
	var edits []analysis.TextEdit
	switch {
	case c.slice && len(call.Args) == 0:
		edits = []analysis.TextEdit{{Pos: call.Rparen, End: call.Rparen, NewText: []byte(c.expr + "...")}}
	case c.slice:
		edits = []analysis.TextEdit{
			{Pos: call.Lparen + 1, End: call.Lparen + 1, NewText: []byte("append(" + c.expr + ", ")},
			{Pos: call.Rparen, End: call.Rparen, NewText: []byte(")...")},
		}
	case call.Ellipsis != token.NoPos:
		return analysis.SuggestedFix{}, false
	default:
		sep := ", "
		if len(call.Args) == 0 {
			sep = ""
		}
		edits = []analysis.TextEdit{{Pos: call.Lparen + 1, End: call.Lparen + 1, NewText: []byte(c.expr + sep)}}
	}
	return analysis.SuggestedFix{Message: "add the security options of " + strings.TrimSuffix(c.expr, "()"), TextEdits: edits}, true
}

// pointerish reports whether assignments through a parameter of type t reach the caller.
func pointerish(t types.Type) bool {
	switch types.Unalias(t).Underlying().(type) {
	case *types.Pointer, *types.Map:
		return true
	}
	return false
}
