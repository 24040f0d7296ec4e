package envdrift

import (
	"go/ast"
	"go/types"
	"strings"

	"golang.org/x/tools/go/packages"
)

const (
	pkgPflag = "github.com/spf13/pflag"
	pkgFF    = "github.com/peterbourgon/ff"
)

// isFlagPkg reports whether path is the standard flag package or spf13/pflag (cobra).
func isFlagPkg(path string) bool { return path == "flag" || path == pkgPflag }

// flagNames lists the constant flag names a package defines on the flag set written recv
// ("" for the package-level flag.CommandLine): fs.String("brokers", ...),
// fs.StringVar(&b, "brokers", ...), flag.Int(...), pflag's P forms.
func flagNames(p *packages.Package, recv string) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range p.Syntax {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn := funcOf(p.TypesInfo, call)
			if fn == nil || !isFlagPkg(pkgPathOf(fn)) || strings.HasPrefix(fn.Name(), "Visit") || strings.HasPrefix(fn.Name(), "Lookup") {
				return true
			}
			if receiverText(p, call) != recv {
				return true
			}
			idx := 0
			base := strings.TrimSuffix(fn.Name(), "P")
			if strings.HasSuffix(base, "Var") {
				idx = 1
			}
			if idx < len(call.Args) {
				if s, ok := constString(p.TypesInfo, call.Args[idx]); ok && s != "" && !seen[s] {
					seen[s] = true
					out = append(out, s)
				}
			}
			return true
		})
	}
	return out
}

// flagFallbacks finds env fallbacks computed from flag names inside VisitAll/Visit
// callbacks (fs.VisitAll(func(f *flag.Flag) { os.LookupEnv("APP_" + strings.ToUpper(f.Name)) }))
// and records one read per flag the package defines. The calls it explains are marked
// so they are not reported as dynamic reads.
func (a *goAnalyzer) flagFallbacks(p *packages.Package, handled map[ast.Node]bool) {
	info := p.TypesInfo
	for _, f := range p.Syntax {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			fn := funcOf(info, call)
			if fn == nil || !isFlagPkg(pkgPathOf(fn)) || (fn.Name() != "VisitAll" && fn.Name() != "Visit") {
				return true
			}
			lit, ok := ast.Unparen(call.Args[0]).(*ast.FuncLit)
			if !ok || lit.Type.Params == nil || len(lit.Type.Params.List) != 1 || len(lit.Type.Params.List[0].Names) != 1 {
				return true
			}
			flagVar, _ := info.Defs[lit.Type.Params.List[0].Names[0]].(*types.Var)
			if flagVar == nil {
				return true
			}
			var names []string
			namesDone := false
			recv := receiverText(p, call)
			locals := map[*types.Var]ast.Expr{}
			ast.Inspect(lit.Body, func(n ast.Node) bool {
				if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
					for i, l := range as.Lhs {
						if id, ok := l.(*ast.Ident); ok {
							if v, ok := info.Defs[id].(*types.Var); ok {
								locals[v] = as.Rhs[i]
							}
						}
					}
				}
				return true
			})
			ast.Inspect(lit.Body, func(n ast.Node) bool {
				c, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				obj := calleeObj(info, c.Fun)
				keyArg, prefix, suffix := -1, "", ""
				switch {
				case isPkgFunc(obj, "os", "Getenv", "LookupEnv") || isPkgFunc(obj, "syscall", "Getenv"):
					keyArg = 0
				default:
					if v, ok := obj.(*types.Var); ok && a.envFuncs[v] {
						keyArg = 0
					} else if h := a.helpers[obj]; h != nil {
						keyArg, prefix, suffix = h.param, h.prefix, h.suffix
					}
				}
				if keyArg < 0 || keyArg >= len(c.Args) || !usesVar(info, c.Args[keyArg], flagVar, locals) {
					return true
				}
				if !namesDone {
					names, namesDone = flagNames(p, recv), true
				}
				ok = true
				var keys []string
				for _, name := range names {
					k, good := evalFlagKey(info, c.Args[keyArg], flagVar, name, locals, 0)
					if !good {
						ok = false
						break
					}
					keys = append(keys, prefix+k+suffix)
				}
				if !ok {
					return true
				}
				handled[c] = true
				for _, k := range keys {
					if validEnvName(k) {
						a.read(p, c, k, "flag env fallback")
					}
				}
				return true
			})
			return true
		})
	}
}

// usesVar reports whether e mentions v (directly or through a local defined from it).
func usesVar(info *types.Info, e ast.Expr, v *types.Var, locals map[*types.Var]ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			u, _ := info.Uses[id].(*types.Var)
			if u == v {
				found = true
			} else if def, ok := locals[u]; ok && u != nil && !found {
				delete(locals, u) // no cycles
				found = usesVar(info, def, v, locals)
				locals[u] = def
			}
		}
		return !found
	})
	return found
}

// evalFlagKey evaluates a key expression for one flag name: constants, f.Name,
// concatenation, strings.ToUpper/ToLower/ReplaceAll/Replace, and locals defined from them.
func evalFlagKey(info *types.Info, e ast.Expr, flagVar *types.Var, name string, locals map[*types.Var]ast.Expr, depth int) (string, bool) {
	if depth > 10 {
		return "", false
	}
	if s, ok := constString(info, e); ok {
		return s, true
	}
	switch x := ast.Unparen(e).(type) {
	case *ast.SelectorExpr:
		if id, ok := x.X.(*ast.Ident); ok && info.Uses[id] == flagVar && x.Sel.Name == "Name" {
			return name, true
		}
	case *ast.Ident:
		if v, ok := info.Uses[x].(*types.Var); ok {
			if def, ok := locals[v]; ok {
				return evalFlagKey(info, def, flagVar, name, locals, depth+1)
			}
		}
	case *ast.BinaryExpr:
		l, ok1 := evalFlagKey(info, x.X, flagVar, name, locals, depth+1)
		r, ok2 := evalFlagKey(info, x.Y, flagVar, name, locals, depth+1)
		if ok1 && ok2 && x.Op.String() == "+" {
			return l + r, true
		}
	case *ast.CallExpr:
		fn := funcOf(info, x)
		if fn == nil || pkgPathOf(fn) != "strings" || len(x.Args) == 0 {
			return "", false
		}
		var args []string
		for _, arg := range x.Args {
			s, ok := evalFlagKey(info, arg, flagVar, name, locals, depth+1)
			if !ok {
				if tv := info.Types[arg]; tv.Value != nil { // the -1 of strings.Replace
					args = append(args, tv.Value.ExactString())
					continue
				}
				return "", false
			}
			args = append(args, s)
		}
		switch {
		case fn.Name() == "ToUpper" && len(args) == 1:
			return strings.ToUpper(args[0]), true
		case fn.Name() == "ToLower" && len(args) == 1:
			return strings.ToLower(args[0]), true
		case fn.Name() == "ReplaceAll" && len(args) == 3:
			return strings.ReplaceAll(args[0], args[1], args[2]), true
		case fn.Name() == "Replace" && len(args) == 4:
			return strings.ReplaceAll(args[0], args[1], args[2]), true
		}
	}
	return "", false
}

// receiverText is the source text of a method call's receiver, "" for a function call.
func receiverText(p *packages.Package, call *ast.CallExpr) string {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	if _, isMethod := p.TypesInfo.Selections[sel]; !isMethod {
		return ""
	}
	return exprString(p.Fset, sel.X)
}

// ffParse handles github.com/peterbourgon/ff: ff.Parse(fs, args, ff.WithEnvVarPrefix("APP"))
// (or ff.WithEnvVars()) reads PREFIX_NAME for every flag of fs, dashes and dots as "_".
func (a *goAnalyzer) ffParse(p *packages.Package) {
	info := p.TypesInfo
	for _, f := range p.Syntax {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn := funcOf(info, call)
			if fn == nil || !libPkg(pkgPathOf(fn), pkgFF) || fn.Name() != "Parse" || len(call.Args) < 3 {
				return true
			}
			prefix, env := "", false
			for _, opt := range call.Args[2:] {
				oc, ok := ast.Unparen(opt).(*ast.CallExpr)
				if !ok {
					continue
				}
				ofn := funcOf(info, oc)
				if ofn == nil || !libPkg(pkgPathOf(ofn), pkgFF) {
					continue
				}
				switch ofn.Name() {
				case "WithEnvVarPrefix":
					if len(oc.Args) == 1 {
						s, ok := constString(info, oc.Args[0])
						if !ok {
							a.dynamic(p, oc, "ff.WithEnvVarPrefix with a non-constant prefix")
							return true
						}
						prefix, env = s, true
					}
				case "WithEnvVars":
					env = true
				}
			}
			if !env {
				return true
			}
			r := strings.NewReplacer("-", "_", ".", "_", "/", "_")
			for _, name := range flagNames(p, exprString(p.Fset, call.Args[0])) {
				key := strings.ToUpper(r.Replace(name))
				if prefix != "" {
					key = strings.ToUpper(prefix) + "_" + key
				}
				if validEnvName(key) {
					a.read(p, call, key, "ff env")
				}
			}
			return true
		})
	}
}
