package envdrift

import (
	"bytes"
	"go/ast"
	"go/constant"
	"go/format"
	"go/token"
	"go/types"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/tools/go/packages"
)

// Third-party configuration libraries are recognised by import path and selector name,
// so they work without their sources being analysed (dependency bodies are dropped).
const (
	pkgCaarlos   = "github.com/caarlos0/env"
	pkgKelsey    = "github.com/kelseyhightower/envconfig"
	pkgSethvargo = "github.com/sethvargo/go-envconfig"
	pkgViper     = "github.com/spf13/viper"
	pkgUrfave    = "github.com/urfave/cli"
	pkgKgo       = "github.com/twmb/franz-go/pkg/kgo"
	// koanf's env provider: a package of koanf v1's module, then a module of its own
	// (v1 API), then env/v2 (Provider(delim, Opt{Prefix: ...})).
	pkgKoanfEnv = "github.com/knadh/koanf/providers/env"
)

// libPkg reports whether path is base or one of its major versions (base/vN).
func libPkg(path, base string) bool {
	if path == base {
		return true
	}
	rest, ok := strings.CutPrefix(path, base+"/v")
	if !ok {
		return false
	}
	_, err := strconv.Atoi(rest)
	return err == nil
}

func funcOf(info *types.Info, call *ast.CallExpr) *types.Func {
	f, _ := calleeObj(info, call.Fun).(*types.Func)
	return f
}

func pkgPathOf(f *types.Func) string {
	if f == nil || f.Pkg() == nil {
		return ""
	}
	return f.Pkg().Path()
}

func constString(info *types.Info, e ast.Expr) (string, bool) {
	if tv, ok := info.Types[e]; ok && tv.Value != nil && tv.Value.Kind() == constant.String {
		return constant.StringVal(tv.Value), true
	}
	return "", false
}

// structTarget returns the struct type behind an argument like &cfg or a *Config value.
func structTarget(info *types.Info, e ast.Expr) *types.Struct {
	tv, ok := info.Types[e]
	if !ok || tv.Type == nil {
		return nil
	}
	t := tv.Type
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	s, _ := t.Underlying().(*types.Struct)
	return s
}

// structLibs finds env reads through struct-tag libraries and viper in one package.
func (a *goAnalyzer) structLibs(p *packages.Package) {
	info := p.TypesInfo
	type viperInst struct {
		prefix    string
		unknown   bool // SetEnvPrefix with a value not known statically
		automatic bool
		replacer  *strings.Replacer
		gets      []*ast.CallExpr
	}
	vipers := map[string]*viperInst{}
	inst := func(call *ast.CallExpr) *viperInst {
		key := "global"
		if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
			if _, isMethod := info.Selections[sel]; isMethod {
				key = exprString(p.Fset, sel.X)
			}
		}
		if vipers[key] == nil {
			vipers[key] = &viperInst{}
		}
		return vipers[key]
	}
	var order []*ast.CallExpr
	for _, f := range p.Syntax {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				a.urfaveLit(p, n)
			case *ast.CallExpr:
				fn := funcOf(info, n)
				path := pkgPathOf(fn)
				switch {
				case libPkg(path, pkgCaarlos):
					a.caarlos(p, n, fn)
				case path == pkgKelsey:
					if (fn.Name() == "Process" || fn.Name() == "MustProcess" || fn.Name() == "CheckDisallowed") && len(n.Args) == 2 {
						prefix, ok := constString(info, n.Args[0])
						if !ok {
							a.dynamic(p, n, "envconfig prefix is not constant")
							return true
						}
						if s := structTarget(info, n.Args[1]); s != nil {
							a.kelsey(p, n, s, strings.ToUpper(prefix), 0)
						}
					}
				case libPkg(path, pkgSethvargo):
					a.sethvargo(p, n, fn)
				case libPkg(path, pkgKoanfEnv) && (fn.Name() == "Provider" || fn.Name() == "ProviderWithValue"):
					a.koanfEnv(p, n, fn)
				case path == pkgViper:
					order = append(order, n)
				case libPkg(path, pkgUrfave) && (fn.Name() == "EnvVars" || fn.Name() == "EnvVar"):
					for _, arg := range n.Args {
						if s, ok := constString(info, arg); ok && validEnvName(s) {
							a.read(p, arg, s, "urfave/cli flag")
						}
					}
				}
			}
			return true
		})
	}
	for _, call := range order {
		fn := funcOf(info, call)
		v := inst(call)
		switch name := fn.Name(); {
		case name == "SetEnvPrefix" && len(call.Args) == 1:
			// A constant, or a local assigned one; otherwise (Burrow reads it from its
			// own configuration) the names of AutomaticEnv's reads are unknown.
			if k := a.resolveKey(info, &fnCtx{params: map[*types.Var]int{}}, call.Args[0], 0); k.kind == keyConst {
				v.prefix, v.unknown = k.s, false
			} else {
				v.unknown = true
				a.dynamicFix(p, call, "viper.SetEnvPrefix with a prefix not known statically",
					"Set a constant env prefix (viper.SetEnvPrefix(\"APP\")), or list the variables in env.allow.")
			}
		case name == "AutomaticEnv":
			v.automatic = true
		case name == "SetEnvKeyReplacer" && len(call.Args) == 1:
			if r, ok := ast.Unparen(call.Args[0]).(*ast.CallExpr); ok && isPkgFunc(funcOf(info, r), "strings", "NewReplacer") {
				var pairs []string
				for _, arg := range r.Args {
					if s, ok := constString(info, arg); ok {
						pairs = append(pairs, s)
					}
				}
				if len(pairs)%2 == 0 {
					v.replacer = strings.NewReplacer(pairs...)
				}
			}
		case name == "BindEnv":
			if len(call.Args) >= 2 {
				for _, arg := range call.Args[1:] {
					if s, ok := constString(info, arg); ok && validEnvName(s) {
						a.read(p, arg, s, "viper.BindEnv")
					} else if !ok {
						a.dynamic(p, arg, "viper.BindEnv with a non-constant name")
					}
				}
			} else {
				v.gets = append(v.gets, call)
			}
		case strings.HasPrefix(name, "Get") || name == "IsSet":
			v.gets = append(v.gets, call)
		}
	}
	for _, v := range vipers {
		for _, call := range v.gets {
			fn := funcOf(info, call)
			if v.unknown || fn.Name() != "BindEnv" && !v.automatic {
				continue
			}
			if len(call.Args) == 0 {
				continue
			}
			key, ok := constString(info, call.Args[0])
			if !ok {
				a.dynamic(p, call, "viper key is not constant")
				continue
			}
			name := key
			if v.prefix != "" {
				name = v.prefix + "_" + key
			}
			if v.replacer != nil {
				name = v.replacer.Replace(name)
			}
			name = strings.ToUpper(name)
			if validEnvName(name) {
				a.read(p, call, name, "viper "+fn.Name())
			}
		}
	}
}

// urfaveLit handles urfave/cli v1/v2 flag literals: EnvVar: "A,B" and EnvVars: []string{...}.
func (a *goAnalyzer) urfaveLit(p *packages.Package, lit *ast.CompositeLit) {
	tv, ok := p.TypesInfo.Types[lit]
	if !ok {
		return
	}
	named, ok := tv.Type.(*types.Named)
	if !ok || named.Obj().Pkg() == nil || !libPkg(named.Obj().Pkg().Path(), pkgUrfave) {
		return
	}
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		id, ok := kv.Key.(*ast.Ident)
		if !ok {
			continue
		}
		switch id.Name {
		case "EnvVar":
			if s, ok := constString(p.TypesInfo, kv.Value); ok {
				for _, n := range strings.Split(s, ",") {
					if n = strings.TrimSpace(n); validEnvName(n) {
						a.read(p, kv.Value, n, "urfave/cli flag")
					}
				}
			}
		case "EnvVars":
			if cl, ok := kv.Value.(*ast.CompositeLit); ok {
				for _, e := range cl.Elts {
					if s, ok := constString(p.TypesInfo, e); ok && validEnvName(s) {
						a.read(p, e, s, "urfave/cli flag")
					}
				}
			}
		}
	}
}

// caarlos handles github.com/caarlos0/env: Parse, ParseWithOptions, ParseAs[T],
// ParseAsWithOptions[T] (Options.Prefix, Options.UseFieldNameByDefault).
func (a *goAnalyzer) caarlos(p *packages.Package, call *ast.CallExpr, fn *types.Func) {
	info := p.TypesInfo
	var s *types.Struct
	var opts ast.Expr
	switch fn.Name() {
	case "Parse", "ParseWithOptions", "ParseWithFuncs":
		if len(call.Args) == 0 {
			return
		}
		s = structTarget(info, call.Args[0])
		if fn.Name() == "ParseWithOptions" && len(call.Args) > 1 {
			opts = call.Args[1]
		}
	case "ParseAs", "ParseAsWithOptions":
		if tv, ok := info.Types[call]; ok && tv.Type != nil {
			if r, ok := tv.Type.(*types.Tuple); ok && r.Len() > 0 {
				s, _ = r.At(0).Type().Underlying().(*types.Struct)
			}
		}
		if len(call.Args) > 0 {
			opts = call.Args[0]
		}
	default:
		return
	}
	if s == nil {
		return
	}
	prefix, byName := "", false
	if cl, ok := ast.Unparen(opts).(*ast.CompositeLit); ok {
		for _, el := range cl.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			switch id, _ := kv.Key.(*ast.Ident); {
			case id == nil:
			case id.Name == "Prefix":
				v, ok := constString(info, kv.Value)
				if !ok {
					a.dynamic(p, kv.Value, "env.Options.Prefix is not constant")
					return
				}
				prefix = v
			case id.Name == "UseFieldNameByDefault":
				if tv := info.Types[kv.Value]; tv.Value != nil && tv.Value.Kind() == constant.Bool {
					byName = constant.BoolVal(tv.Value)
				}
			}
		}
	}
	a.caarlosStruct(p, call, s, prefix, byName, 0)
}

func (a *goAnalyzer) caarlosStruct(p *packages.Package, call ast.Node, s *types.Struct, prefix string, byName bool, depth int) {
	if depth > 6 {
		return
	}
	for i := 0; i < s.NumFields(); i++ {
		f := s.Field(i)
		tag := reflect.StructTag(s.Tag(i))
		name, _, _ := strings.Cut(tag.Get("env"), ",")
		if name == "-" {
			continue
		}
		if inner := innerStruct(f.Type()); inner != nil && name == "" {
			a.caarlosStruct(p, call, inner, prefix+tag.Get("envPrefix"), byName, depth+1)
			continue
		}
		if name == "" && byName {
			name = upperSnake(f.Name())
		}
		if name == "" {
			continue
		}
		a.read(p, call, prefix+name, "caarlos0/env tag on "+f.Name())
	}
}

// innerStruct returns the struct a field recurses into (struct or pointer to struct,
// excluding types that decode themselves such as time.Time).
func innerStruct(t types.Type) *types.Struct {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	s, ok := t.Underlying().(*types.Struct)
	if !ok {
		return nil
	}
	if n, ok := t.(*types.Named); ok {
		for _, m := range []string{"UnmarshalText", "Decode", "Set", "UnmarshalBinary", "EnvDecode"} {
			if obj, _, _ := types.LookupFieldOrMethod(types.NewPointer(n), true, n.Obj().Pkg(), m); obj != nil {
				if _, isFunc := obj.(*types.Func); isFunc {
					return nil
				}
			}
		}
	}
	return s
}

var wordsRE = regexp.MustCompile("([^A-Z]+|[A-Z]+[^A-Z]+|[A-Z]+)")
var acronymRE = regexp.MustCompile("([A-Z]+)([A-Z][^A-Z]+)")

// upperSnake converts a Go field name to UPPER_SNAKE as kelseyhightower/envconfig's
// split_words does (and caarlos0/env's UseFieldNameByDefault, close enough).
func upperSnake(name string) string {
	words := wordsRE.FindAllStringSubmatch(name, -1)
	var parts []string
	for _, w := range words {
		if m := acronymRE.FindStringSubmatch(w[0]); len(m) == 3 {
			parts = append(parts, m[1], m[2])
		} else {
			parts = append(parts, w[0])
		}
	}
	return strings.ToUpper(strings.Join(parts, "_"))
}

// kelsey handles github.com/kelseyhightower/envconfig's key rules: PREFIX_KEY where KEY is
// the envconfig tag or the field name (split_words: UPPER_SNAKE); the bare tag is also
// looked up when the prefixed key is unset.
func (a *goAnalyzer) kelsey(p *packages.Package, call ast.Node, s *types.Struct, prefix string, depth int) {
	if depth > 6 {
		return
	}
	for i := 0; i < s.NumFields(); i++ {
		f := s.Field(i)
		if !f.Exported() {
			continue
		}
		tag := reflect.StructTag(s.Tag(i))
		if tag.Get("ignored") == "true" {
			continue
		}
		alt := strings.ToUpper(tag.Get("envconfig"))
		key := f.Name()
		if alt == "" && tag.Get("split_words") == "true" {
			key = upperSnake(f.Name())
		}
		if alt != "" {
			key = alt
		}
		if prefix != "" {
			key = prefix + "_" + key
		}
		key = strings.ToUpper(key)
		if inner := innerStruct(f.Type()); inner != nil {
			ip := prefix
			if !f.Anonymous() {
				ip = key
			}
			a.kelsey(p, call, inner, ip, depth+1)
			continue
		}
		a.read(p, call, key, "envconfig field "+f.Name())
		if alt != "" && alt != key {
			a.read(p, call, alt, "envconfig field "+f.Name())
		}
	}
}

// sethvargo handles github.com/sethvargo/go-envconfig: Process(ctx, &cfg),
// ProcessWith(ctx, &Config{Target: &cfg, Lookuper: PrefixLookuper("APP_", ...)}) and
// `env:"NAME,prefix=X_"` on nested structs.
func (a *goAnalyzer) sethvargo(p *packages.Package, call *ast.CallExpr, fn *types.Func) {
	info := p.TypesInfo
	switch fn.Name() {
	case "Process", "MustProcess":
		if len(call.Args) >= 2 {
			if s := structTarget(info, call.Args[1]); s != nil {
				a.sethStruct(p, call, s, "", 0)
			}
		}
	case "ProcessWith":
		if len(call.Args) < 2 {
			return
		}
		arg := ast.Unparen(call.Args[1])
		if u, ok := arg.(*ast.UnaryExpr); ok && u.Op == token.AND {
			arg = u.X
		}
		cl, ok := arg.(*ast.CompositeLit)
		if !ok {
			a.dynamic(p, call, "envconfig.ProcessWith config is not a literal")
			return
		}
		var target *types.Struct
		prefix := ""
		for _, el := range cl.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			id, _ := kv.Key.(*ast.Ident)
			if id == nil {
				continue
			}
			switch id.Name {
			case "Target":
				target = structTarget(info, kv.Value)
			case "Lookuper":
				prefix = sethPrefix(info, kv.Value)
			}
		}
		if target != nil {
			a.sethStruct(p, call, target, prefix, 0)
		}
	}
}

func sethPrefix(info *types.Info, e ast.Expr) string {
	c, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return ""
	}
	fn := funcOf(info, c)
	if fn == nil || !libPkg(pkgPathOf(fn), pkgSethvargo) || fn.Name() != "PrefixLookuper" || len(c.Args) != 2 {
		return ""
	}
	s, _ := constString(info, c.Args[0])
	return s + sethPrefix(info, c.Args[1])
}

func (a *goAnalyzer) sethStruct(p *packages.Package, call ast.Node, s *types.Struct, prefix string, depth int) {
	if depth > 6 {
		return
	}
	for i := 0; i < s.NumFields(); i++ {
		f := s.Field(i)
		tag := reflect.StructTag(s.Tag(i))
		val, hasTag := tag.Lookup("env")
		name, opts, _ := strings.Cut(val, ",")
		if name == "-" {
			continue
		}
		if inner := innerStruct(f.Type()); inner != nil && name == "" {
			ip := prefix
			for _, o := range strings.Split(opts, ",") {
				if v, ok := strings.CutPrefix(strings.TrimSpace(o), "prefix="); ok {
					ip += v
				}
			}
			a.sethStruct(p, call, inner, ip, depth+1)
			continue
		}
		if !hasTag || name == "" {
			continue
		}
		a.read(p, call, prefix+name, "go-envconfig tag on "+f.Name())
	}
}

// propertyLiteral matches librdkafka-style property names ("auto.offset.reset").
var propertyLiteral = regexp.MustCompile(`^[a-z][a-z0-9]*(\.[a-z0-9]+)+$`)

// kgoProps maps franz-go option functions to the librdkafka property they hard-code.
var kgoProps = map[string]string{
	"ConsumeResetOffset": "auto.offset.reset",
	"SeedBrokers":        "bootstrap.servers",
	"ConsumerGroup":      "group.id",
	"ConsumeTopics":      "topic",
	"DialTLSConfig":      "security.protocol",
	"DialTLS":            "security.protocol",
	"SASL":               "sasl.mechanism",
}

// hardCodes records settings fixed in code: franz-go options, sarama/kafka-go fields and
// property-name literals handed to a call or a map.
func (a *goAnalyzer) hardCodes(p *packages.Package) {
	info := p.TypesInfo
	add := func(prop string, n ast.Node) {
		a.inv.HardCodes = append(a.inv.HardCodes, HardCode{Property: prop, Loc: a.loc(p, n), Pkg: p.PkgPath, Expr: exprString(p.Fset, n)})
	}
	for _, f := range p.Syntax {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				fn := funcOf(info, n)
				if pkgPathOf(fn) == pkgKgo {
					if prop, ok := kgoProps[fn.Name()]; ok && constArgs(info, n) {
						add(prop, n)
					}
				}
				if len(n.Args) >= 2 {
					if s, ok := constString(info, n.Args[0]); ok && propertyLiteral.MatchString(s) {
						add(s, n)
					}
				}
			case *ast.KeyValueExpr:
				if s, ok := constString(info, n.Key); ok && propertyLiteral.MatchString(s) {
					add(s, n)
				}
				if id, ok := n.Key.(*ast.Ident); ok && id.Name == "StartOffset" {
					add("auto.offset.reset", n)
				}
			case *ast.AssignStmt:
				for _, l := range n.Lhs {
					if strings.HasSuffix(exprString(p.Fset, l), "Offsets.Initial") {
						add("auto.offset.reset", n)
					}
				}
			}
			return true
		})
	}
}

// constArgs reports whether a call's arguments involve no variable that could carry
// configuration: constants, or calls/selectors without identifiers of local variables.
func constArgs(info *types.Info, call *ast.CallExpr) bool {
	ok := true
	for _, arg := range call.Args {
		ast.Inspect(arg, func(n ast.Node) bool {
			if id, isID := n.(*ast.Ident); isID {
				if v, isVar := info.Uses[id].(*types.Var); isVar && !v.IsField() {
					ok = false
				}
			}
			return ok
		})
	}
	return ok
}

func exprString(fset *token.FileSet, n ast.Node) string {
	var b bytes.Buffer
	if err := format.Node(&b, fset, n); err != nil {
		return ""
	}
	s := strings.Join(strings.Fields(b.String()), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

func strconvQuote(s string) string {
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return strconv.Quote(s)
}

// propertyOf maps an env name to the librdkafka property it configures
// (KAFKA_AUTO_OFFSET_RESET -> auto.offset.reset), or "".
func propertyOf(name string, strip []string) string {
	rest := ""
	for _, pfx := range append([]string{"KAFKA_"}, strip...) {
		if r, ok := strings.CutPrefix(name, pfx); ok {
			rest = r
			if r2, ok := strings.CutPrefix(rest, "KAFKA_"); ok {
				rest = r2
			}
			break
		}
	}
	if rest == "" {
		return ""
	}
	switch rest {
	case "BROKERS", "BOOTSTRAP_SERVERS":
		return "bootstrap.servers"
	case "TOPIC":
		return "topic"
	}
	return strings.Map(func(r rune) rune {
		if r == '_' {
			return '.'
		}
		return unicode.ToLower(r)
	}, rest)
}

const koanfFix = "Give the env provider a constant prefix (env.Provider(\"APP_\", ...)) so that only the service's own variables are read, or list the variables in env.allow."

// koanfEnv handles koanf's env provider, which reads every variable that starts with its
// prefix (the whole environment without one): a prefix read, or a scan of the
// environment (env-dynamic-read). The prefix is the argument of the parameter named
// prefix (v1: Provider(prefix, delim, cb)), or the Prefix field of an Opt literal (v2:
// Provider(delim, Opt{Prefix: ...})), or the argument of an env.WithPrefix option.
func (a *goAnalyzer) koanfEnv(p *packages.Package, call *ast.CallExpr, fn *types.Func) {
	info := p.TypesInfo
	var prefixArg ast.Expr
	found := false
	if sig, ok := fn.Type().(*types.Signature); ok {
		for i := 0; i < sig.Params().Len() && i < len(call.Args); i++ {
			if sig.Params().At(i).Name() == "prefix" {
				prefixArg, found = call.Args[i], true
			}
		}
	}
	for _, arg := range call.Args {
		if found {
			break
		}
		switch x := ast.Unparen(arg).(type) {
		case *ast.CompositeLit:
			if st := structTarget(info, x); st != nil {
				for i := 0; i < st.NumFields(); i++ {
					if st.Field(i).Name() == "Prefix" {
						prefixArg, found = fieldValue(info, x, "Prefix"), true // nil: the empty prefix
					}
				}
			}
		case *ast.CallExpr:
			if o := funcOf(info, x); libPkg(pkgPathOf(o), pkgKoanfEnv) && o.Name() == "WithPrefix" && len(x.Args) == 1 {
				prefixArg, found = x.Args[0], true
			}
		}
	}
	prefix := ""
	if prefixArg != nil {
		k := a.resolveKey(info, &fnCtx{params: map[*types.Var]int{}}, prefixArg, 0)
		if k.kind != keyConst {
			a.dynamicFix(p, call, "koanf env provider with a non-constant prefix", koanfFix)
			return
		}
		prefix = k.s
	}
	if !found || prefix == "" {
		a.dynamicFix(p, call, "koanf env provider without a prefix reads the whole environment", koanfFix)
		return
	}
	l := a.loc(p, call)
	a.inv.Prefixes = append(a.inv.Prefixes, PrefixRead{Prefix: prefix, Loc: l, Pkg: p.PkgPath, Via: "koanf env provider"})
}
