package kafkaclienv

import (
	"flag"
	"fmt"
	"go/ast"
	"go/types"
	"regexp"
	"slices"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/streamaudit/streamaudit/analyzers/internal/directive"
	"github.com/streamaudit/streamaudit/analyzers/internal/kafkalib"
	"github.com/streamaudit/streamaudit/analyzers/internal/kafkareach"
)

// Rule is the streamaudit rule ID this analyzer reports.
const Rule = "kafka-cli-env"

// Options configure the analyzer.
type Options struct {
	// HonorIgnore drops findings suppressed by //streamaudit:ignore.
	HonorIgnore bool
}

// Analyzer is the analyzer with default options.
var Analyzer = New(Options{HonorIgnore: true})

// New returns an independently configured analyzer.
func New(o Options) *analysis.Analyzer {
	r := &runner{honor: o.HonorIgnore}
	a := &analysis.Analyzer{
		Name:             "kafkaclienv",
		Doc:              "report CLI commands whose Kafka flags disagree on env binding or default, and hard-coded group ids (rule kafka-cli-env)",
		URL:              "https://github.com/streamaudit/streamaudit/blob/main/docs/CHECKS.md#kafka-cli-env",
		Run:              r.run,
		RunDespiteErrors: true,
		FactTypes:        []analysis.Fact{new(flagsFact)},
		Requires:         []*analysis.Analyzer{kafkareach.Analyzer},
	}
	a.Flags.Init("kafkaclienv", flag.ContinueOnError)
	a.Flags.BoolVar(&r.honor, "ignore-directives", o.HonorIgnore, "honour //streamaudit:ignore kafka-cli-env comments")
	return a
}

type runner struct{ honor bool }

// flagDef is one definition of a Kafka flag.
type flagDef struct {
	call     *ast.CallExpr
	name     string // flag name
	kind     string // brokers, topic, group
	command  string
	env      string
	def      string
	defKnown bool
	target   types.Object // the variable the value lands in
	where    string       // file:line, for definitions from other packages
	foreign  bool
}

// flagsFact carries a package's Kafka flag definitions to the packages (the binary's
// main) that import it, so commands spread over packages are compared too.
type flagsFact struct{ Defs []FactDef }

// FactDef is one exported flag definition.
type FactDef struct {
	Name, Kind, Command, Env, Def, Where string
	DefKnown                             bool
}

func (*flagsFact) AFact() {}
func (f *flagsFact) String() string {
	var s []string
	for _, d := range f.Defs {
		s = append(s, d.Command+":"+d.Name)
	}
	return "kafkaflags(" + strings.Join(s, ",") + ")"
}

// flag constructors: position of name and value arguments, and of the target pointer.
type flagShape struct{ name, value, ptr int }

var shapes = map[string]flagShape{
	"flag.String":              {0, 1, -1},
	"flag.StringVar":           {1, 2, 0},
	"flag.FlagSet.String":      {0, 1, -1},
	"flag.FlagSet.StringVar":   {1, 2, 0},
	"pflag.String":             {0, 1, -1},
	"pflag.StringVar":          {1, 2, 0},
	"pflag.StringP":            {0, 2, -1},
	"pflag.StringVarP":         {1, 3, 0},
	"pflag.FlagSet.String":     {0, 1, -1},
	"pflag.FlagSet.StringVar":  {1, 2, 0},
	"pflag.FlagSet.StringP":    {0, 2, -1},
	"pflag.FlagSet.StringVarP": {1, 3, 0},
}

var envName = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)

func kindOf(name string) string {
	n := strings.NewReplacer("-", "", "_", "", ".", "").Replace(strings.ToLower(name))
	n = strings.TrimPrefix(n, "kafka")
	switch n {
	case "brokers", "broker", "bootstrapservers", "bootstrapserver", "bootstrap", "servers":
		return "brokers"
	case "topic":
		return "topic"
	case "group", "groupid", "consumergroup", "consumergroupid":
		return "group"
	}
	return ""
}

type checker struct {
	pass     *analysis.Pass
	info     *types.Info
	rep      *directive.Reporter
	assigned map[types.Object][]ast.Expr
	defs     []*flagDef
	commands int
}

func (r *runner) run(pass *analysis.Pass) (any, error) {
	if pass.TypesInfo == nil {
		return nil, nil
	}
	if r := kafkareach.Of(pass); !r.Kafka && !r.Flags {
		// No flag definition, command, group id or imported flags fact can exist here.
		return nil, nil
	}
	c := &checker{pass: pass, info: pass.TypesInfo, rep: &directive.Reporter{Pass: pass, Rule: Rule, Honor: r.honor}, assigned: map[types.Object][]ast.Expr{}}
	// Index assignments (for NewFlagSet/cobra.Command names and post-parse env reads).
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				for i, l := range n.Lhs {
					if i < len(n.Rhs) && len(n.Lhs) == len(n.Rhs) {
						if o := c.storage(l); o != nil {
							c.assigned[o] = append(c.assigned[o], n.Rhs[i])
						}
					} else if len(n.Rhs) == 1 {
						if o := c.storage(l); o != nil {
							c.assigned[o] = append(c.assigned[o], n.Rhs[0])
						}
					}
				}
			case *ast.ValueSpec:
				for i, nm := range n.Names {
					if i < len(n.Values) {
						if o := c.info.Defs[nm]; o != nil {
							c.assigned[o] = append(c.assigned[o], n.Values[i])
						}
					}
				}
			case *ast.CallExpr:
				switch kafkalib.CallKey(c.info, n) {
				case "flag.NewFlagSet":
					c.commands++
				}
			case *ast.CompositeLit:
				if kafkalib.TypeKey(c.info.TypeOf(n)) == "cobra.Command" {
					c.commands++
				}
			}
			return true
		})
	}
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				c.collect(fd)
			}
		}
	}
	own := len(c.defs)
	c.importFacts()
	c.compare()
	if own > 0 && pass.Pkg.Name() != "main" {
		f := &flagsFact{}
		for _, d := range c.defs[:own] {
			p := c.pass.Fset.Position(d.call.Pos())
			f.Defs = append(f.Defs, FactDef{Name: d.name, Kind: d.kind, Command: d.command, Env: d.env, Def: d.def,
				DefKnown: d.defKnown, Where: fmt.Sprintf("%s:%d", filepathBase(p.Filename), p.Line)})
		}
		pass.ExportPackageFact(f)
	}
	if c.operator() {
		c.groups()
	}
	return nil, nil
}

func (c *checker) storage(e ast.Expr) types.Object {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		return c.info.ObjectOf(e)
	case *ast.StarExpr:
		return c.storage(e.X)
	case *ast.UnaryExpr:
		return c.storage(e.X)
	case *ast.SelectorExpr:
		if sel := c.info.Selections[e]; sel != nil {
			return sel.Obj()
		}
		return c.info.Uses[e.Sel]
	}
	return nil
}

// operator reports whether the package is an operator command: a main package with
// subcommands, or one whose path names a CLI.
func (c *checker) operator() bool {
	if c.pass.Pkg.Name() != "main" {
		return false
	}
	p := strings.ToLower(c.pass.Pkg.Path())
	return c.commands > 0 || strings.Contains(p, "cli") || strings.Contains(p, "ctl")
}

func (c *checker) collect(fd *ast.FuncDecl) {
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sh, ok := shapes[kafkalib.CallKey(c.info, call)]
		if !ok || sh.value >= len(call.Args) {
			return true
		}
		name, ok := kafkalib.StringConst(c.info, call.Args[sh.name])
		if !ok {
			return true
		}
		kind := kindOf(name)
		if kind == "" {
			return true
		}
		d := &flagDef{call: call, name: name, kind: kind, command: c.command(call, fd)}
		d.env, d.def, d.defKnown = c.value(call.Args[sh.value])
		if sh.ptr >= 0 {
			d.target = c.storage(call.Args[sh.ptr])
		} else {
			d.target = c.resultVar(fd, call)
		}
		if d.env == "" && d.target != nil {
			for _, e := range c.assigned[d.target] {
				if env := c.getenvDeep(e, 2); env != "" {
					d.env = env
				}
			}
		}
		c.defs = append(c.defs, d)
		return true
	})
}

// resultVar finds the variable a String(...) result is assigned to in fd.
func (c *checker) resultVar(fd *ast.FuncDecl, call *ast.CallExpr) types.Object {
	var obj types.Object
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
			for i, r := range as.Rhs {
				if ast.Unparen(r) == call {
					obj = c.storage(as.Lhs[i])
				}
			}
		}
		return obj == nil
	})
	return obj
}

// getenv returns X when e contains os.Getenv("X") or os.LookupEnv("X").
func (c *checker) getenv(e ast.Expr) string {
	env := ""
	ast.Inspect(e, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			switch kafkalib.CallKey(c.info, call) {
			case "os.Getenv", "os.LookupEnv":
				if len(call.Args) == 1 {
					if s, ok := kafkalib.StringConst(c.info, call.Args[0]); ok {
						env = s
					}
				}
			}
		}
		return env == ""
	})
	return env
}

// getenvDeep is getenv following variables through their assignments.
func (c *checker) getenvDeep(e ast.Expr, depth int) string {
	if env := c.getenv(e); env != "" || depth == 0 {
		return env
	}
	if id, ok := ast.Unparen(e).(*ast.Ident); ok {
		if o := c.info.Uses[id]; o != nil {
			for _, a := range c.assigned[o] {
				if env := c.getenvDeep(a, depth-1); env != "" {
					return env
				}
			}
		}
	}
	return ""
}

// value interprets a flag's default expression.
func (c *checker) value(e ast.Expr) (env, def string, known bool) {
	if s, ok := kafkalib.StringConst(c.info, e); ok {
		return "", s, true
	}
	if env := c.getenv(e); env != "" {
		if call, ok := ast.Unparen(e).(*ast.CallExpr); ok && kafkalib.CallKey(c.info, call) == "os.Getenv" {
			return env, "", false // the default is whatever the environment holds
		}
	}
	if call, ok := ast.Unparen(e).(*ast.CallExpr); ok {
		var consts []string
		for _, a := range call.Args {
			if s, ok := kafkalib.StringConst(c.info, a); ok {
				if env == "" && envName.MatchString(s) {
					env = s
					continue
				}
				consts = append(consts, s)
			}
		}
		if env == "" {
			env = c.getenv(e)
		}
		if len(consts) == 1 {
			return env, consts[0], true
		}
		return env, "", false
	}
	return "", "", false
}

// command names the command a flag belongs to.
func (c *checker) command(call *ast.CallExpr, fd *ast.FuncDecl) string {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return fd.Name.Name
	}
	recv := ast.Unparen(sel.X)
	if inner, ok := recv.(*ast.CallExpr); ok { // cmd.Flags(), cmd.PersistentFlags()
		if s, ok := ast.Unparen(inner.Fun).(*ast.SelectorExpr); ok {
			recv = s.X
		}
	}
	if id, ok := recv.(*ast.Ident); ok {
		if _, isPkg := c.info.Uses[id].(*types.PkgName); isPkg {
			return "main"
		}
	}
	if o := c.storage(recv); o != nil {
		for _, e := range c.assigned[o] {
			if name := c.commandName(e); name != "" {
				return name
			}
		}
	}
	return fd.Name.Name
}

func (c *checker) commandName(e ast.Expr) string {
	e = ast.Unparen(e)
	if u, ok := e.(*ast.UnaryExpr); ok {
		e = ast.Unparen(u.X)
	}
	switch e := e.(type) {
	case *ast.CallExpr:
		if kafkalib.CallKey(c.info, e) == "flag.NewFlagSet" && len(e.Args) > 0 {
			if s, ok := kafkalib.StringConst(c.info, e.Args[0]); ok {
				return s
			}
		}
	case *ast.CompositeLit:
		for _, el := range e.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "Use" {
					if s, ok := kafkalib.StringConst(c.info, kv.Value); ok {
						if f := strings.Fields(s); len(f) > 0 {
							return f[0]
						}
					}
				}
			}
		}
	}
	return ""
}

// importFacts adds the flag definitions of imported packages of the same module.
func (c *checker) importFacts() {
	for _, pf := range c.pass.AllPackageFacts() {
		f, ok := pf.Fact.(*flagsFact)
		if !ok || pf.Package == c.pass.Pkg || !c.sameModule(pf.Package.Path()) {
			continue
		}
		for _, d := range f.Defs {
			c.defs = append(c.defs, &flagDef{name: d.Name, kind: d.Kind, command: d.Command, env: d.Env,
				def: d.Def, defKnown: d.DefKnown, where: pf.Package.Path() + "/" + d.Where, foreign: true})
		}
	}
}

func (c *checker) sameModule(path string) bool {
	if m := c.pass.Module; m != nil && m.Path != "" {
		return path == m.Path || strings.HasPrefix(path, m.Path+"/")
	}
	a, b := strings.Split(c.pass.Pkg.Path(), "/"), strings.Split(path, "/")
	n := max(1, min(len(a)-1, len(b)-1, 3))
	return len(a) >= n && len(b) >= n && slices.Equal(a[:n], b[:n])
}

func filepathBase(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// reportDef reports a deviating definition: at the definition when it is this package's,
// otherwise (in the binary's main package) at the package clause, naming the place.
func (c *checker) reportDef(d *flagDef, msg string) {
	if !d.foreign {
		c.report(d.call, msg)
		return
	}
	if c.pass.Pkg.Name() != "main" || len(c.pass.Files) == 0 {
		return
	}
	c.report(c.pass.Files[0].Name, msg+" (defined at "+d.where+")")
}

func (c *checker) report(n ast.Node, msg string) {
	c.rep.Report(analysis.Diagnostic{Pos: n.Pos(), End: n.End(), Category: "confidence:high", Message: msg})
}

func (c *checker) compare() {
	byKind := map[string][]*flagDef{}
	for _, d := range c.defs {
		byKind[d.kind] = append(byKind[d.kind], d)
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		defs := byKind[k]
		cmds := map[string]bool{}
		for _, d := range defs {
			cmds[d.command] = true
		}
		if len(cmds) < 2 {
			continue
		}
		// Environment binding: the most common variable any command binds.
		envCount := map[string]int{}
		envWho := map[string]string{}
		for _, d := range defs {
			if d.env != "" {
				envCount[d.env]++
				if envWho[d.env] == "" {
					envWho[d.env] = d.command
				}
			}
		}
		if ref := top(envCount, k); ref != "" {
			for _, d := range defs {
				if d.env != ref {
					what := "does not bind " + ref
					if d.env != "" {
						what = "binds " + d.env + " instead of " + ref
					}
					c.reportDef(d, fmt.Sprintf("flag --%s of command %s %s (command %s binds it): the %s differs between commands of this binary", d.name, d.command, what, envWho[ref], k))
				}
			}
		}
		defCount := map[string]int{}
		defWho := map[string]string{}
		for _, d := range defs {
			if d.defKnown {
				defCount[d.def]++
				if _, ok := defWho[d.def]; !ok {
					defWho[d.def] = d.command
				}
			}
		}
		if len(defCount) > 1 {
			ref := top(defCount, "")
			for _, d := range defs {
				if d.defKnown && d.def != ref {
					c.reportDef(d, fmt.Sprintf("flag --%s of command %s defaults to %q but command %s defaults to %q: one binary should have one default", d.name, d.command, d.def, defWho[ref], ref))
				}
			}
		}
	}
}

// top returns the most common key; ties go to a key naming the kind ("KAFKA_BROKERS" for
// brokers), then to the smallest, for determinism.
func top(m map[string]int, kind string) string {
	best, score := "", -1
	for k, v := range m {
		sc := v * 2
		if kind != "" && strings.Contains(strings.ToLower(k), kind) {
			sc++
		}
		if sc > score || (sc == score && k < best) {
			best, score = k, sc
		}
	}
	return best
}

// groups reports constant consumer group ids.
func (c *checker) groups() {
	for _, d := range c.defs {
		if d.kind == "group" && d.defKnown && d.def != "" && d.env == "" && !d.foreign {
			c.report(d.call, fmt.Sprintf("flag --%s of command %s has the hard-coded default group %q: every operator run shares (and commits into) one consumer group; default to a unique id or bind an env var", d.name, d.command, d.def))
		}
	}
	for _, f := range c.pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				key := kafkalib.CallKey(c.info, n)
				idx := -1
				switch key {
				case "kgo.ConsumerGroup":
					idx = 0
				case "sarama.NewConsumerGroup":
					idx = 1
				}
				if idx >= 0 && idx < len(n.Args) {
					if s, ok := kafkalib.StringConst(c.info, n.Args[idx]); ok && s != "" {
						c.report(n, fmt.Sprintf("hard-coded consumer group %q in an operator command: every run shares and commits into it; take it from a flag or env var, or use a unique id", s))
					}
				}
			case *ast.CompositeLit:
				key := kafkalib.TypeKey(c.info.TypeOf(n))
				for _, el := range n.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					field := ""
					if id, ok := kv.Key.(*ast.Ident); ok && key == "kafkago.ReaderConfig" {
						field = id.Name
					} else if key == "confluent.ConfigMap" {
						field, _ = kafkalib.StringConst(c.info, kv.Key)
					}
					if field == "GroupID" || field == "group.id" {
						if s, ok := kafkalib.StringConst(c.info, kv.Value); ok && s != "" {
							c.report(kv, fmt.Sprintf("hard-coded consumer group %q in an operator command: every run shares and commits into it; take it from a flag or env var, or use a unique id", s))
						}
					}
				}
			}
			return true
		})
	}
}
