package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// Kind says what form a rule file has.
type Kind string

// File kinds the loader recognises.
const (
	KindPlain          Kind = "rules"          // a Prometheus rule file (groups:)
	KindPrometheusRule Kind = "prometheusrule" // monitoring.coreos.com PrometheusRule CRD(s)
	KindConfigMap      Kind = "configmap"      // rule YAML inside ConfigMap data
	KindGrafana        Kind = "grafana"        // Grafana-managed alerting provisioning
	KindHelm           Kind = "helm"           // Helm template: needs rendering
	KindOther          Kind = "other"          // YAML that holds no rules
)

// File is one loaded rule file. Lines are those of the file on disk, also for rules
// inside CRDs and ConfigMaps.
type File struct {
	Path     string
	Kind     Kind
	Groups   []Group
	Comments []Comment
	// Problems are reasons Prometheus would reject (part of) the file.
	Problems []Problem
	// Rendering is set when the file is a template that must be rendered first.
	Rendering *Problem
}

// Group is a rule group.
type Group struct {
	Name   string
	Line   int
	Source string // where in the file: "" for plain files, "spec" of a CRD, "data.<key>" of a ConfigMap
	Rules  []Rule
}

// Rule is one alerting or recording rule.
type Rule struct {
	Alert, Record string
	Expr          string
	Line          int // line of the rule's first key
	ExprLine      int // line where the expression text starts
	For           time.Duration
	KeepFiringFor time.Duration
	Labels        map[string]string
	Annotations   map[string]string
	Parsed        parser.Expr // nil when the expression does not parse
	Group         string
}

// Name returns the alert or record name.
func (r Rule) Name() string {
	if r.Alert != "" {
		return r.Alert
	}
	return r.Record
}

// LineOf returns the file line of byte offset pos inside the expression.
func (r Rule) LineOf(pos int) int {
	if pos <= 0 || pos > len(r.Expr) {
		return r.ExprLine
	}
	return r.ExprLine + strings.Count(r.Expr[:pos], "\n")
}

// Comment is one comment line of a rule file.
type Comment struct {
	Line int
	Text string
}

// Problem is a load error at a line (0: the file as a whole).
type Problem struct {
	Line, Column int
	Msg          string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%d:%d: %s", p.Line, p.Column, p.Msg)
	}
	return p.Msg
}

var (
	looksLikeRules = regexp.MustCompile(`(?m)^\s*(-\s+)?(alert|record)\s*:|^\s*kind:\s*["']?PrometheusRule|^groups\s*:`)
	lineColPrefix  = regexp.MustCompile(`^(\d+):(\d+): (.*)$`)
	yamlLine       = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
)

// Load parses one file. It never panics: malformed input becomes Problems, and a file
// that is not a rule file at all comes back with KindOther.
func Load(path string, data []byte) (f *File) {
	f = &File{Path: path, Kind: KindOther}
	defer func() {
		if r := recover(); r != nil {
			f.Problems = append(f.Problems, Problem{Line: 1, Msg: fmt.Sprintf("internal error while loading (please report): %v\n%s", r, debug.Stack())})
		}
	}()
	if !mayHoldRules(data) || !looksLikeRules.Match(data) {
		return f
	}
	if p := helmTemplate(data); p != nil {
		f.Kind = KindHelm
		f.Rendering = p
		return f
	}
	docs, err := decodeDocs(data)
	if err != nil {
		f.Kind = KindPlain
		p := yamlProblem(err)
		p.Line = max(p.Line, 1)
		f.Problems = append(f.Problems, p)
		return f
	}
	lines := strings.Split(string(data), "\n")
	for i, doc := range docs {
		f.loadDoc(data, lines, doc, i == 0)
	}
	f.Comments = comments(docs, lines)
	for i := range f.Problems {
		if f.Problems[i].Line < 1 {
			f.Problems[i].Line = 1 // a file-level problem: every problem carries file:line
		}
	}
	sort.SliceStable(f.Problems, func(i, j int) bool { return f.Problems[i].Line < f.Problems[j].Line })
	return f
}

// mayHoldRules is a cheap pre-filter for looksLikeRules (large manifests and dashboards).
func mayHoldRules(data []byte) bool {
	for _, w := range []string{"alert", "record", "PrometheusRule", "groups"} {
		if bytes.Contains(data, []byte(w)) {
			return true
		}
	}
	return false
}

func decodeDocs(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, err
		}
		docs = append(docs, &n)
	}
}

func yamlProblem(err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
		if len(te.Errors) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(te.Errors)-1)
		}
	}
	p := Problem{Msg: msg}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = m[2]
	}
	return p
}

// mapGet returns the value node of key in a mapping node.
func mapGet(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

func (f *File) loadDoc(data []byte, lines []string, doc *yaml.Node, first bool) {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return
	}
	_, kind := mapGet(root, "kind")
	_, api := mapGet(root, "apiVersion")
	gk, groups := mapGet(root, "groups")
	switch {
	case kind != nil && kind.Value == "PrometheusRule":
		f.Kind = KindPrometheusRule
		_, spec := mapGet(root, "spec")
		sk, sg := mapGet(spec, "groups")
		if sk == nil {
			if spec != nil {
				f.Problems = append(f.Problems, Problem{Line: spec.Line, Column: spec.Column, Msg: "PrometheusRule spec has no groups"})
			}
			return
		}
		f.loadRegion(lines, sk, sg, "spec")
	case kind != nil && kind.Value == "ConfigMap":
		_, d := mapGet(root, "data")
		if d == nil || d.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(d.Content); i += 2 {
			k, v := d.Content[i], d.Content[i+1]
			if v.Kind != yaml.ScalarNode || strings.HasSuffix(k.Value, ".json") || !looksLikeRules.MatchString(v.Value) {
				continue
			}
			f.Kind = KindConfigMap
			f.loadScalarRules(lines, k, v, "data."+k.Value)
		}
	case kind != nil && strings.HasSuffix(kind.Value, "List"):
		_, items := mapGet(root, "items")
		if items != nil && items.Kind == yaml.SequenceNode {
			for _, it := range items.Content {
				f.loadDoc(data, lines, it, first)
			}
		}
	case gk != nil && api != nil && isGrafanaGroups(groups):
		f.Kind = KindGrafana
		f.loadGrafana(groups)
	case kind == nil && (gk != nil || hasKey(root, "rules")):
		// A top-level rules: list without groups is not a rule file Prometheus loads;
		// rulefmt rejects it with the line.
		if !first {
			return // Prometheus reads only the first document of a rule file (and warns)
		}
		f.Kind = KindPlain
		if doc.Kind != yaml.DocumentNode {
			doc = nil // an item of a List: rulefmt and the model read the file's first document
		}
		f.parseRules(data, "", doc)
	}
}

// loadRegion parses the rule groups below key (a CRD's spec.groups) by blanking every
// other line of the file, so rulefmt's errors carry file-relative lines.
func (f *File) loadRegion(lines []string, key, val *yaml.Node, source string) {
	indent := key.Column - 1
	start := key.Line - 1
	end := len(lines)
	for i := start + 1; i < len(lines); i++ {
		l := lines[i]
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if strings.HasPrefix(l, "---") || strings.HasPrefix(l, "...") || leading(l) < indent ||
			(leading(l) == indent && !strings.HasPrefix(t, "- ") && t != "-") {
			end = i
			break
		}
	}
	if val != nil && val.Style&yaml.FlowStyle != 0 && val.Line == key.Line {
		// A flow-style value: re-encode it (lines inside collapse to the key's line).
		out, err := yaml.Marshal(map[string]*yaml.Node{"groups": val})
		if err != nil {
			f.Problems = append(f.Problems, Problem{Line: key.Line, Column: key.Column, Msg: err.Error()})
			return
		}
		f.parseRules(append(bytes.Repeat([]byte("\n"), key.Line-1), out...), source, nil)
		return
	}
	var b strings.Builder
	for i := 0; i < len(lines); i++ {
		if i >= start && i < end {
			l := lines[i]
			if leading(l) >= indent {
				l = l[indent:]
			} else {
				l = strings.TrimLeft(l, " ")
			}
			b.WriteString(l)
		}
		if i < len(lines)-1 {
			b.WriteByte('\n')
		}
	}
	f.parseRules([]byte(b.String()), source, nil)
}

// loadScalarRules parses rule YAML held in a string value (ConfigMap data).
func (f *File) loadScalarRules(lines []string, key, val *yaml.Node, source string) {
	offset := key.Line - 1 // lines before the content
	if val.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		offset = val.Line // content starts on the line after the indicator
		// Count blank lines the scalar starts with: yaml keeps them in Value.
	}
	text := val.Value
	if val.Style&yaml.FoldedStyle != 0 {
		// Folded text has lost its line structure: re-read it from the file.
		if offset < len(lines) {
			ind := -1
			var b strings.Builder
			for i := offset; i < len(lines); i++ {
				l := lines[i]
				if strings.TrimSpace(l) != "" {
					if ind < 0 {
						ind = leading(l)
					}
					if leading(l) < ind {
						break
					}
					l = l[ind:]
				}
				b.WriteString(l)
				b.WriteByte('\n')
			}
			text = b.String()
		}
	}
	f.parseRules(append(bytes.Repeat([]byte("\n"), offset), text...), source, nil)
}

func hasKey(n *yaml.Node, key string) bool {
	k, _ := mapGet(n, key)
	return k != nil
}

func leading(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

var discard = slog.New(slog.DiscardHandler)

// parseRules validates content with rulefmt (as Prometheus and promtool do) and builds
// the model from the YAML nodes. doc, when not nil, is content's first document as
// decodeDocs already parsed it (a plain rule file), so it is not parsed again.
func (f *File) parseRules(content []byte, source string, doc *yaml.Node) {
	memo := &memoParser{Parser: promQL, exprs: map[string]parser.Expr{}}
	errs := validate(content, doc, memo)
	if doc == nil {
		doc = &yaml.Node{}
		if err := yaml.Unmarshal(content, doc); err != nil {
			if len(errs) == 0 {
				f.Problems = append(f.Problems, yamlProblem(err))
			}
		}
	}
	groups := buildGroups(doc, source, memo)
	f.Groups = append(f.Groups, groups...)
	for _, err := range errs {
		f.Problems = append(f.Problems, rulefmtProblem(err, groups))
	}
}

// validate returns the errors of rulefmt.Parse(content, false, model.UTF8Validation, p, _).
// With doc (content's first document, already parsed) it does what Parse does without
// parsing content a second time for the positions Validate reports: Parse decodes content
// strictly into RuleGroups, then decodes it again, non-strictly, into rulefmt's unexported
// ruleGroups (groups of RuleGroupNode, yaml.Node positions included), which doc.Decode
// gives from the same nodes (when that decoding fails, Parse itself runs, for its message).
// Parse's check for a second document only logs a warning,
// which is discarded. An unnamed struct of the same fields is assignable to ruleGroups:
// if rulefmt changes that type, this stops compiling rather than drifting.
func validate(content []byte, doc *yaml.Node, p parser.Parser) []error {
	if doc == nil {
		_, errs := rulefmt.Parse(content, false, model.UTF8Validation, p, discard)
		return errs
	}
	var (
		groups rulefmt.RuleGroups
		node   struct {
			Groups []rulefmt.RuleGroupNode `yaml:"groups"`
		}
		errs []error
	)
	dec := yaml.NewDecoder(bytes.NewReader(content))
	dec.KnownFields(true)
	if err := dec.Decode(&groups); err != nil && !errors.Is(err, io.EOF) {
		errs = append(errs, err)
	}
	if err := doc.Decode(&node); err != nil {
		// The message names the type decoded into (rulefmt.ruleGroups): let Parse say it.
		_, errs := rulefmt.Parse(content, false, model.UTF8Validation, p, discard)
		return errs
	}
	if len(errs) > 0 {
		return errs
	}
	return groups.Validate(node, model.UTF8Validation, p)
}

// rulefmtProblem turns a rulefmt error into a Problem with a line, locating rule-level
// errors that carry no position through the group name and rule index.
func rulefmtProblem(err error, groups []Group) Problem {
	var te *yaml.TypeError
	if errors.As(err, &te) || strings.HasPrefix(err.Error(), "yaml: ") {
		return yamlProblem(err)
	}
	msg := err.Error()
	p := Problem{Msg: msg}
	if m := lineColPrefix.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Column, _ = strconv.Atoi(m[2])
		p.Msg = m[3]
		// "L:C: L2:C2: msg" (record and alert both set)
		if m2 := lineColPrefix.FindStringSubmatch(p.Msg); m2 != nil {
			p.Msg = m2[3]
		}
		return p
	}
	var re *rulefmt.Error
	if errors.As(err, &re) {
		for _, g := range groups {
			if g.Name == re.Group && re.Rule >= 1 && re.Rule <= len(g.Rules) {
				p.Line = g.Rules[re.Rule-1].Line
				break
			}
		}
	}
	return p
}

func buildGroups(doc *yaml.Node, source string, memo *memoParser) []Group {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	_, gs := mapGet(root, "groups")
	if gs == nil || gs.Kind != yaml.SequenceNode {
		return nil
	}
	var out []Group
	for _, gn := range gs.Content {
		g := Group{Line: gn.Line, Source: source}
		if _, n := mapGet(gn, "name"); n != nil {
			g.Name = n.Value
		}
		_, rs := mapGet(gn, "rules")
		if rs != nil && rs.Kind == yaml.SequenceNode {
			for _, rn := range rs.Content {
				g.Rules = append(g.Rules, buildRule(rn, g.Name, memo))
			}
		}
		out = append(out, g)
	}
	return out
}

func buildRule(rn *yaml.Node, group string, memo *memoParser) Rule {
	r := Rule{Line: rn.Line, Group: group, ExprLine: rn.Line}
	if rn.Kind != yaml.MappingNode {
		return r
	}
	for i := 0; i+1 < len(rn.Content); i += 2 {
		k, v := rn.Content[i], rn.Content[i+1]
		switch k.Value {
		case "alert":
			r.Alert = v.Value
		case "record":
			r.Record = v.Value
		case "expr":
			r.Expr = v.Value
			r.ExprLine = v.Line
			if v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
				r.ExprLine = v.Line + 1
			}
		case "for":
			if d, err := model.ParseDuration(v.Value); err == nil {
				r.For = time.Duration(d)
			}
		case "keep_firing_for":
			if d, err := model.ParseDuration(v.Value); err == nil {
				r.KeepFiringFor = time.Duration(d)
			}
		case "labels":
			r.Labels = stringMap(v)
		case "annotations":
			r.Annotations = stringMap(v)
		}
	}
	if r.Expr != "" {
		if e, ok := memo.exprs[r.Expr]; ok {
			r.Parsed = e // rulefmt's validation parsed this expression already
		} else if e, err := ParseExpr(r.Expr); err == nil {
			r.Parsed = e
		}
	}
	return r
}

func stringMap(n *yaml.Node) map[string]string {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	m := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = n.Content[i+1].Value
	}
	return m
}

// comments collects every comment of the documents with its file line.
func comments(docs []*yaml.Node, lines []string) []Comment {
	var out []Comment
	seen := map[int]bool{}
	var walk func(n *yaml.Node)
	add := func(text string, hint int) {
		for _, l := range strings.Split(text, "\n") {
			l = strings.TrimSpace(l)
			if l == "" {
				continue
			}
			line := findLine(lines, l, hint)
			if line == 0 || seen[line] {
				continue
			}
			seen[line] = true
			out = append(out, Comment{Line: line, Text: strings.TrimSpace(strings.TrimPrefix(l, "#"))})
		}
	}
	walk = func(n *yaml.Node) {
		if n == nil {
			return
		}
		add(n.HeadComment, n.Line)
		add(n.LineComment, n.Line)
		add(n.FootComment, n.Line)
		for _, c := range n.Content {
			walk(c)
		}
	}
	for _, d := range docs {
		walk(d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

// findLine returns the 1-based line holding text, searching outward from hint.
func findLine(lines []string, text string, hint int) int {
	for d := 0; d < len(lines); d++ {
		for _, i := range []int{hint - 1 - d, hint - 1 + d} {
			if i >= 0 && i < len(lines) && strings.Contains(lines[i], text) {
				return i + 1
			}
		}
	}
	return 0
}
