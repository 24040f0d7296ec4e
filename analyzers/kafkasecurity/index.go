package kafkasecurity

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/streamaudit/streamaudit/analyzers/internal/directive"
	"github.com/streamaudit/streamaudit/analyzers/internal/kafkalib"
)

// pkgState is the per-package index the evaluator works on. The analysis is flow- and
// path-insensitive ("may" semantics): a variable is secured when any value stored into
// it, or any mutation of it, carries security.
type pkgState struct {
	pass *analysis.Pass
	info *types.Info
	cfg  *config

	decls         map[*types.Func]*ast.FuncDecl
	order         []*types.Func
	params        map[*types.Var]uint64 // FuncDecl parameters (bit; receiver bit 0)
	paramOwner    map[*types.Var]*types.Func
	closureParams map[*types.Var]bool
	assigns       map[types.Object][]ast.Expr
	marks         map[types.Object]bool
	calls         []callSite
	lits          []litSite
	litOwner      map[*ast.CompositeLit]types.Object
	callOwner     map[*ast.CallExpr]types.Object
	directives    map[*types.Func]bool
	sum           map[*types.Func]*funcFact
	hasBodies     bool

	cache   map[types.Object]state
	busy    map[types.Object]bool
	retC    map[*types.Func]state
	retBusy map[*types.Func]bool
}

type callSite struct {
	call *ast.CallExpr
	fd   *ast.FuncDecl
}

type litSite struct {
	lit *ast.CompositeLit
	fd  *ast.FuncDecl
}

func newPkgState(pass *analysis.Pass, c *config) *pkgState {
	info := pass.TypesInfo
	if info == nil {
		info = &types.Info{}
	}
	return &pkgState{
		pass: pass, info: info, cfg: c,
		decls:         map[*types.Func]*ast.FuncDecl{},
		params:        map[*types.Var]uint64{},
		paramOwner:    map[*types.Var]*types.Func{},
		closureParams: map[*types.Var]bool{},
		assigns:       map[types.Object][]ast.Expr{},
		marks:         map[types.Object]bool{},
		litOwner:      map[*ast.CompositeLit]types.Object{},
		callOwner:     map[*ast.CallExpr]types.Object{},
		directives:    map[*types.Func]bool{},
		sum:           map[*types.Func]*funcFact{},
	}
}

func (p *pkgState) index() {
	for _, f := range p.pass.Files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				fn, _ := p.info.Defs[d.Name].(*types.Func)
				if fn == nil {
					continue
				}
				p.decls[fn] = d
				p.order = append(p.order, fn)
				if directive.IsSecurityProvider(d) {
					p.directives[fn] = true
				}
				if d.Recv != nil {
					p.addParams(fn, d.Recv, -1)
				}
				p.addParams(fn, d.Type.Params, 0)
				if d.Body != nil {
					p.hasBodies = true
					p.walk(d.Body, d)
				}
			case *ast.GenDecl:
				p.walk(d, nil)
			}
		}
	}
}

func (p *pkgState) addParams(fn *types.Func, fl *ast.FieldList, start int) {
	if fl == nil {
		return
	}
	i := start
	for _, field := range fl.List {
		if len(field.Names) == 0 {
			i++
			continue
		}
		for _, n := range field.Names {
			if v, ok := p.info.Defs[n].(*types.Var); ok {
				p.params[v] = bitOf(i)
				p.paramOwner[v] = fn
			}
			if start >= 0 {
				i++
			}
		}
		if start < 0 {
			i = 0
		}
	}
}

func (p *pkgState) walk(root ast.Node, fd *ast.FuncDecl) {
	ast.Inspect(root, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			if n.Type.Params != nil {
				for _, field := range n.Type.Params.List {
					for _, nm := range field.Names {
						if v, ok := p.info.Defs[nm].(*types.Var); ok {
							p.closureParams[v] = true
						}
					}
				}
			}
		case *ast.AssignStmt:
			if n.Tok != token.ASSIGN && n.Tok != token.DEFINE {
				return true
			}
			for i, lhs := range n.Lhs {
				var rhs ast.Expr
				if len(n.Rhs) == len(n.Lhs) {
					rhs = n.Rhs[i]
				} else if len(n.Rhs) == 1 {
					rhs = n.Rhs[0]
				}
				if rhs != nil {
					p.store(lhs, rhs)
				}
			}
		case *ast.ValueSpec:
			for i, nm := range n.Names {
				var rhs ast.Expr
				if len(n.Values) == len(n.Names) {
					rhs = n.Values[i]
				} else if len(n.Values) == 1 {
					rhs = n.Values[0]
				}
				if rhs != nil {
					p.store(nm, rhs)
				}
			}
		case *ast.RangeStmt:
			if n.Tok == token.DEFINE || n.Tok == token.ASSIGN {
				if n.Key != nil {
					p.store(n.Key, n.X)
				}
				if n.Value != nil {
					p.store(n.Value, n.X)
				}
			}
		case *ast.CompositeLit:
			if st, ok := p.structOf(n); ok {
				_ = st
				for _, el := range n.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					if id, ok := kv.Key.(*ast.Ident); ok {
						if fv, ok := p.info.Uses[id].(*types.Var); ok && fv.IsField() {
							p.addAssign(fv, kv.Value)
						}
					}
				}
			}
			if _, ok := literalCtors[kafkalib.TypeKey(p.typeOf(n))]; ok {
				p.lits = append(p.lits, litSite{lit: n, fd: fd})
			}
		case *ast.CallExpr:
			p.calls = append(p.calls, callSite{call: n, fd: fd})
		}
		return true
	})
}

func (p *pkgState) structOf(lit *ast.CompositeLit) (*types.Struct, bool) {
	t := p.typeOf(lit)
	if t == nil {
		return nil, false
	}
	st, ok := t.Underlying().(*types.Struct)
	return st, ok
}

func (p *pkgState) typeOf(e ast.Expr) types.Type {
	if tv, ok := p.info.Types[e]; ok {
		return tv.Type
	}
	return nil
}

func (p *pkgState) addAssign(obj types.Object, e ast.Expr) {
	if obj == nil {
		return
	}
	p.assigns[obj] = append(p.assigns[obj], e)
}

// store records `lhs = rhs`, including the library rules for security fields.
func (p *pkgState) store(lhs, rhs ast.Expr) {
	lhs = ast.Unparen(lhs)
	if ix, ok := lhs.(*ast.IndexExpr); ok && kafkalib.TypeKey(p.typeOf(ix.X)) == "confluent.ConfigMap" {
		if k, ok := kafkalib.StringConst(p.info, ix.Index); ok {
			if securityKey(p.info, k, rhs) {
				p.markChain(ix.X)
			}
			return
		}
	}
	if call, ok := ast.Unparen(rhs).(*ast.CallExpr); ok && p.callOwner[call] == nil {
		p.callOwner[call] = p.storage(lhs)
	}
	if lit, ok := ast.Unparen(rhs).(*ast.CompositeLit); ok {
		p.litOwner[lit] = p.storage(lhs)
	} else if u, ok := ast.Unparen(rhs).(*ast.UnaryExpr); ok && u.Op == token.AND {
		if lit, ok := ast.Unparen(u.X).(*ast.CompositeLit); ok {
			p.litOwner[lit] = p.storage(lhs)
		}
	}
	p.addAssign(p.storage(lhs), rhs)
	sel, ok := lhs.(*ast.SelectorExpr)
	if !ok {
		return
	}
	key := kafkalib.TypeKey(p.typeOf(sel.X)) + "." + sel.Sel.Name
	switch {
	case securityFields[key] || p.saramaSecurity(sel):
		if b, isConst := kafkalib.BoolConst(p.info, rhs); (isConst && !b) || kafkalib.IsNil(p.info, rhs) {
			return
		}
		p.markChain(sel.X)
	case carryingFields[key]:
		for _, o := range p.chain(sel.X) {
			p.addAssign(o, rhs)
		}
	}
}

// saramaSecurity matches x.Net.TLS.Enable and x.Net.SASL.Enable on a sarama.Config.
func (p *pkgState) saramaSecurity(sel *ast.SelectorExpr) bool {
	if sel.Sel.Name != "Enable" {
		return false
	}
	mid, ok := ast.Unparen(sel.X).(*ast.SelectorExpr)
	if !ok || (mid.Sel.Name != "TLS" && mid.Sel.Name != "SASL") {
		return false
	}
	net, ok := ast.Unparen(mid.X).(*ast.SelectorExpr)
	if !ok || net.Sel.Name != "Net" {
		return false
	}
	return kafkalib.TypeKey(p.typeOf(net.X)) == "sarama.Config"
}

// securityKey reports whether a confluent ConfigMap entry switches security on.
func securityKey(info *types.Info, key string, val ast.Expr) bool {
	if key != "security.protocol" {
		return false
	}
	if s, ok := kafkalib.StringConst(info, val); ok {
		return !strings.EqualFold(s, "plaintext")
	}
	return true // configured at run time
}

// storage returns the variable or field an expression denotes.
func (p *pkgState) storage(e ast.Expr) types.Object {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		return p.info.ObjectOf(e)
	case *ast.SelectorExpr:
		if sel := p.info.Selections[e]; sel != nil {
			if sel.Kind() == types.FieldVal {
				return sel.Obj()
			}
			return nil
		}
		return p.info.Uses[e.Sel]
	case *ast.StarExpr:
		return p.storage(e.X)
	case *ast.UnaryExpr:
		if e.Op == token.AND {
			return p.storage(e.X)
		}
	case *ast.IndexExpr:
		return p.storage(e.X)
	}
	return nil
}

// chain returns the local variables and this package's fields along a selector chain.
func (p *pkgState) chain(e ast.Expr) []types.Object {
	var out []types.Object
	var rec func(ast.Expr)
	rec = func(e ast.Expr) {
		switch e := ast.Unparen(e).(type) {
		case *ast.Ident:
			if o, ok := p.info.ObjectOf(e).(*types.Var); ok {
				out = append(out, o)
			}
		case *ast.SelectorExpr:
			if sel := p.info.Selections[e]; sel != nil {
				if sel.Kind() == types.FieldVal {
					rec(e.X)
					out = append(out, sel.Obj())
				}
				return
			}
			if o, ok := p.info.Uses[e.Sel].(*types.Var); ok {
				out = append(out, o)
			}
		case *ast.StarExpr:
			rec(e.X)
		case *ast.UnaryExpr:
			if e.Op == token.AND {
				rec(e.X)
			}
		case *ast.IndexExpr:
			rec(e.X)
		}
	}
	rec(e)
	var local []types.Object
	for _, o := range out {
		if o.Pkg() == p.pass.Pkg {
			local = append(local, o)
		}
	}
	return local
}

func (p *pkgState) markChain(e ast.Expr) bool {
	changed := false
	for _, o := range p.chain(e) {
		if !p.marks[o] {
			p.marks[o] = true
			changed = true
		}
	}
	return changed
}
