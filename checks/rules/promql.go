package rules

import (
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// promQL is the PromQL parser of Prometheus v0.316.0 with the default function set
// (experimental functions off, as a default Prometheus server runs).
var promQL = parser.NewParser(parser.Options{})

// ParseExpr parses a PromQL expression with the parser every check shares.
func ParseExpr(s string) (parser.Expr, error) { return promQL.ParseExpr(s) }

// memoParser is promQL keeping the expressions it parsed without error, so that the
// rules rulefmt's validation parsed are not parsed again to build the model (the parser
// is deterministic: the same text gives the same tree). One per parsed rule file.
type memoParser struct {
	parser.Parser
	exprs map[string]parser.Expr
}

func (m *memoParser) ParseExpr(s string) (parser.Expr, error) {
	e, err := m.Parser.ParseExpr(s)
	if err == nil {
		m.exprs[s] = e
	}
	return e, err
}

// Selector is one metric selection inside an expression.
type Selector struct {
	Name     string            // metric name ("" when selected by matchers only)
	Matchers []*labels.Matcher // matchers other than the metric name
	Func     string            // function applied to the selection's range, if any (rate, delta...)
	Pos      int               // byte offset in the expression
}

// Selectors lists every vector selector of e with the function directly consuming it.
func Selectors(e parser.Expr) []Selector {
	var out []Selector
	if e == nil {
		return nil
	}
	parser.Inspect(e, func(n parser.Node, path []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		s := Selector{Name: vs.Name, Pos: int(vs.PosRange.Start)}
		for _, m := range vs.LabelMatchers {
			if m.Name == labels.MetricName {
				if s.Name == "" && m.Type == labels.MatchEqual {
					s.Name = m.Value
				}
				continue
			}
			s.Matchers = append(s.Matchers, m)
		}
		// path ends with the parent chain: ... Call, (MatrixSelector|SubqueryExpr), vs
		for i := len(path) - 1; i >= 0; i-- {
			switch p := path[i].(type) {
			case *parser.MatrixSelector, *parser.SubqueryExpr, *parser.ParenExpr:
				continue
			case *parser.Call:
				if p.Func != nil {
					s.Func = p.Func.Name
				}
			case parser.Expressions:
				continue
			}
			break
		}
		out = append(out, s)
		return nil
	})
	return out
}

// Normalize returns the canonical text of an expression (whitespace, quoting and
// operator spelling normalised through the parser), or the trimmed input when it does
// not parse.
func Normalize(expr string) string {
	e, err := ParseExpr(expr)
	if err != nil || e == nil {
		return strings.Join(strings.Fields(expr), " ")
	}
	return e.String()
}

// MetricNames returns the distinct metric names selected by e.
func MetricNames(e parser.Expr) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range Selectors(e) {
		if s.Name != "" && !seen[s.Name] {
			seen[s.Name] = true
			out = append(out, s.Name)
		}
	}
	return out
}
