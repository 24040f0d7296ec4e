package kafkainsecure

import (
	"flag"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/streamaudit/streamaudit/analyzers/internal/directive"
	"github.com/streamaudit/streamaudit/analyzers/internal/kafkalib"
)

// Rule is the streamaudit rule ID this analyzer reports.
const Rule = "kafka-insecure"

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
		Name:             "kafkainsecure",
		Doc:              "report definite Kafka security misconfigurations (rule kafka-insecure)",
		URL:              "https://github.com/streamaudit/streamaudit/blob/main/docs/CHECKS.md#kafka-insecure",
		Run:              r.run,
		RunDespiteErrors: true,
	}
	a.Flags.Init("kafkainsecure", flag.ContinueOnError)
	a.Flags.BoolVar(&r.honor, "ignore-directives", o.HonorIgnore, "honour //streamaudit:ignore kafka-insecure comments")
	return a
}

type runner struct{ honor bool }

type checker struct {
	pass *analysis.Pass
	info *types.Info
	rep  *directive.Reporter
}

func (r *runner) run(pass *analysis.Pass) (any, error) {
	if pass.TypesInfo == nil || !kafkalib.ImportsKafka(pass.Pkg) {
		return nil, nil
	}
	c := &checker{pass: pass, info: pass.TypesInfo, rep: &directive.Reporter{Pass: pass, Rule: Rule, Honor: r.honor}}
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Body != nil {
					c.function(d.Body)
				}
			case *ast.GenDecl:
				c.function(d)
			}
		}
	}
	return nil, nil
}

func (c *checker) report(n ast.Node, msg string) {
	c.rep.Report(analysis.Diagnostic{Pos: n.Pos(), End: n.End(), Category: "confidence:high", Message: msg})
}

func (c *checker) typeKey(e ast.Expr) string {
	if tv, ok := c.info.Types[e]; ok {
		return kafkalib.TypeKey(tv.Type)
	}
	return ""
}

func isTLSConfig(t types.Type) bool {
	n := kafkalib.NamedOf(t)
	return n != nil && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "crypto/tls" && n.Obj().Name() == "Config"
}

func (c *checker) isTrue(e ast.Expr) bool {
	v, ok := kafkalib.BoolConst(c.info, e)
	return ok && v
}

// selPath returns the trailing selector names of e ("Net", "TLS", "Config") and the
// expression they start from.
func selPath(e ast.Expr) ([]string, ast.Expr) {
	var names []string
	for {
		s, ok := ast.Unparen(e).(*ast.SelectorExpr)
		if !ok {
			break
		}
		names = append([]string{s.Sel.Name}, names...)
		e = s.X
	}
	return names, e
}

func hasSuffix(names []string, suffix ...string) bool {
	if len(names) < len(suffix) {
		return false
	}
	for i, s := range suffix {
		if names[len(names)-len(suffix)+i] != s {
			return false
		}
	}
	return true
}

// function checks one function body (closures included) or declaration.
func (c *checker) function(root ast.Node) {
	var (
		saslPlain, tlsOpt, dialerOpt []ast.Node
		saramaTLSConfig              []ast.Node
		saramaTLSEnable              bool
		saramaSASLEnable             []ast.Node
		saramaMechPlain, saramaMech  bool
		kgoTLS                       bool
	)
	ast.Inspect(root, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CompositeLit:
			c.literal(n)
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				if i >= len(n.Rhs) {
					break
				}
				rhs := n.Rhs[i]
				sel, ok := ast.Unparen(lhs).(*ast.SelectorExpr)
				if !ok {
					continue
				}
				if sel.Sel.Name == "InsecureSkipVerify" && isTLSConfig(c.info.TypeOf(sel.X)) && c.isTrue(rhs) {
					c.report(n, "InsecureSkipVerify is set to true: the broker's certificate is not verified")
				}
				names, _ := selPath(sel)
				if len(names) >= 3 && names[len(names)-3] == "Net" {
					if !c.saramaPath(sel) {
						continue
					}
					switch {
					case hasSuffix(names, "Net", "TLS", "Config"):
						if !kafkalib.IsNil(c.info, rhs) {
							saramaTLSConfig = append(saramaTLSConfig, n)
						}
					case hasSuffix(names, "Net", "TLS", "Enable"):
						saramaTLSEnable = true
					case hasSuffix(names, "Net", "SASL", "Enable"):
						if c.isTrue(rhs) {
							saramaSASLEnable = append(saramaSASLEnable, n)
						}
					case hasSuffix(names, "Net", "SASL", "Mechanism"):
						saramaMech = true
						if s, ok := kafkalib.StringConst(c.info, rhs); ok && s == "PLAIN" {
							saramaMechPlain = true
						}
					}
				}
			}
			if ix, ok := ast.Unparen(n.Lhs[0]).(*ast.IndexExpr); ok && len(n.Rhs) == 1 && c.typeKey(ix.X) == "confluent.ConfigMap" {
				if k, ok := kafkalib.StringConst(c.info, ix.Index); ok {
					c.confluentEntry(n, k, n.Rhs[0])
				}
			}
		case *ast.CallExpr:
			key := kafkalib.CallKey(c.info, n)
			switch key {
			case "kgo.SASL":
				for _, a := range n.Args {
					if c.mentionsPlain(a) {
						saslPlain = append(saslPlain, n)
					}
				}
			case "kgo.DialTLSConfig", "kgo.DialTLS":
				tlsOpt = append(tlsOpt, n)
				kgoTLS = true
			case "kgo.Dialer":
				dialerOpt = append(dialerOpt, n)
			case "confluent.ConfigMap.SetKey":
				if len(n.Args) == 2 {
					if k, ok := kafkalib.StringConst(c.info, n.Args[0]); ok {
						c.confluentEntry(n, k, n.Args[1])
					}
				}
			}
		}
		return true
	})
	if !kgoTLS {
		for _, n := range saslPlain {
			c.report(n, "SASL PLAIN without TLS: the password crosses the network in clear text; add kgo.DialTLSConfig")
		}
	}
	if len(tlsOpt) > 0 {
		for _, n := range dialerOpt {
			c.report(n, "kgo.Dialer replaces the TLS dialer configured by DialTLSConfig in this function: the TLS config is not used; dial TLS in the custom dialer or drop it")
		}
	}
	if !saramaTLSEnable {
		for _, n := range saramaTLSConfig {
			c.report(n, "sarama Net.TLS.Config is set but Net.TLS.Enable never is: the client connects without TLS")
		}
		if saramaMechPlain || !saramaMech {
			for _, n := range saramaSASLEnable {
				c.report(n, "sarama SASL PLAIN without Net.TLS.Enable: the password crosses the network in clear text")
			}
		}
	}
}

// saramaPath reports whether the selector chain contains a sarama.Config before .Net.
func (c *checker) saramaPath(sel *ast.SelectorExpr) bool {
	e := ast.Expr(sel)
	for {
		s, ok := ast.Unparen(e).(*ast.SelectorExpr)
		if !ok {
			return false
		}
		if s.Sel.Name == "Net" {
			return c.typeKey(s.X) == "sarama.Config"
		}
		e = s.X
	}
}

func (c *checker) mentionsPlain(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if fn := kafkalib.Callee(c.info, call); fn != nil && fn.Pkg() != nil && kafkalib.Short(fn.Pkg().Path()) == "kgoplain" {
				found = true
			}
		}
		return !found
	})
	return found
}

func (c *checker) confluentEntry(n ast.Node, key string, val ast.Expr) {
	if key != "enable.ssl.certificate.verification" {
		return
	}
	if b, ok := kafkalib.BoolConst(c.info, val); ok && !b {
		c.report(n, "enable.ssl.certificate.verification=false: the broker's certificate is not verified")
	}
	if s, ok := kafkalib.StringConst(c.info, val); ok && strings.EqualFold(s, "false") {
		c.report(n, "enable.ssl.certificate.verification=false: the broker's certificate is not verified")
	}
}

func (c *checker) literal(lit *ast.CompositeLit) {
	t := c.info.TypeOf(lit)
	key := kafkalib.TypeKey(t)
	fields := map[string]ast.Expr{}
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		if id, ok := kv.Key.(*ast.Ident); ok {
			fields[id.Name] = kv.Value
		}
		if key == "confluent.ConfigMap" {
			if k, ok := kafkalib.StringConst(c.info, kv.Key); ok {
				fields[k] = kv.Value
				c.confluentEntry(kv, k, kv.Value)
			}
		}
	}
	switch {
	case isTLSConfig(t):
		if v, ok := fields["InsecureSkipVerify"]; ok && c.isTrue(v) {
			c.report(v, "InsecureSkipVerify is set to true: the broker's certificate is not verified")
		}
	case key == "kafkago.Dialer" || key == "kafkago.Transport":
		mech := fields["SASLMechanism"]
		if mech == nil {
			mech = fields["SASL"]
		}
		if mech != nil && kafkalib.Short(pkgOf(c.info.TypeOf(mech))) == "kafkagoplain" && fields["TLS"] == nil {
			c.report(lit, "kafka-go SASL PLAIN without TLS: the password crosses the network in clear text; set TLS")
		}
	case key == "confluent.ConfigMap":
		proto, _ := kafkalib.StringConst(c.info, orNil(fields["security.protocol"]))
		mech, _ := kafkalib.StringConst(c.info, orNil(fields["sasl.mechanisms"]))
		if mech == "" {
			mech, _ = kafkalib.StringConst(c.info, orNil(fields["sasl.mechanism"]))
		}
		if strings.EqualFold(proto, "sasl_plaintext") && strings.EqualFold(mech, "PLAIN") {
			c.report(lit, "security.protocol SASL_PLAINTEXT with mechanism PLAIN: the password crosses the network in clear text; use SASL_SSL")
		}
	}
}

func orNil(e ast.Expr) ast.Expr {
	if e == nil {
		return &ast.Ident{Name: "_", NamePos: token.NoPos}
	}
	return e
}

func pkgOf(t types.Type) string {
	if n := kafkalib.NamedOf(t); n != nil && n.Obj().Pkg() != nil {
		return n.Obj().Pkg().Path()
	}
	return ""
}
