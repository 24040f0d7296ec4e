package envdrift

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/streamaudit/streamaudit/checks"
)

// maxYAMLNodes bounds the work on one YAML file (alias bombs, huge generated files).
const maxYAMLNodes = 200000

// parseYAMLDocs decodes every document of a multi-document YAML stream. A syntax error
// stops at the broken document and is returned with file:line.
func parseYAMLDocs(file string, src []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, fmt.Errorf("%s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		docs = append(docs, &n)
		if len(docs) > 10000 {
			return docs, fmt.Errorf("%s: too many YAML documents", file)
		}
	}
}

func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

// valueResolver looks up Helm values ("a.b.c") for template placeholders.
type valueResolver struct {
	file string
	root *yaml.Node
	// defines are the chart's named templates ({{ define "x" }}), for includes.
	defines map[string]helmDefine
}

// helmDefine is one named template: its body and where the body starts.
type helmDefine struct {
	file string
	line int
	body string
}

var defineRE = regexp.MustCompile(`^(define|if|range|with|block|end)\b\s*(?:"([^"]*)")?`)

// helmDefines collects the named templates of one template file.
func helmDefines(file string, src []byte, into map[string]helmDefine) {
	text := string(src)
	depth := 0
	name, start := "", 0
	for _, m := range actionRE.FindAllStringSubmatchIndex(text, -1) {
		expr := strings.TrimSpace(text[m[2]:m[3]])
		d := defineRE.FindStringSubmatch(expr)
		if d == nil {
			continue
		}
		switch d[1] {
		case "define":
			if depth == 0 {
				name, start = d[2], m[1]
			}
			depth++
		case "end":
			if depth--; depth == 0 && name != "" {
				into[name] = helmDefine{file: file, line: strings.Count(text[:start], "\n") + 1, body: text[start:m[0]]}
				name = ""
			}
			if depth < 0 {
				depth = 0
			}
		default:
			if depth > 0 {
				depth++
			}
		}
	}
}

func (v *valueResolver) get(p string) *yaml.Node {
	if v == nil || v.root == nil {
		return nil
	}
	n := v.root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	for _, part := range strings.Split(p, ".") {
		if part == "" {
			continue
		}
		n = mapGet(n, part)
		if n == nil {
			return nil
		}
	}
	return n
}

// Placeholders the Helm de-templater leaves in YAML.
const (
	phValues   = "__values__:"
	phRangeKey = "__rangekey__:"
	phRangeIt  = "__rangeitem__:"
	phSplice   = "__splice__"
	phInclude  = "__include__"
	phTpl      = "__tpl__"
)

// subst resolves __values__ placeholders inside a scalar for binary hints.
func (v *valueResolver) subst(s string) string {
	for i := 0; i < 20; i++ {
		j := strings.Index(s, phValues)
		if j < 0 {
			break
		}
		k := j + len(phValues)
		e := k
		for e < len(s) && (isAlnum(s[e]) || s[e] == '.' || s[e] == '_' || s[e] == '-') {
			e++
		}
		val := scalar(v.get(s[k:e]))
		s = s[:j] + val + s[e:]
	}
	return s
}

// extractK8s walks Kubernetes manifests (plain, or de-templated Helm templates with
// values) for containers, their env, envFrom and Secret references.
func extractK8s(file string, docs []*yaml.Node, vals *valueResolver, extraHints []string) []*Workload {
	var out []*Workload
	budget := maxYAMLNodes
	for _, d := range docs {
		root := d
		if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
			root = root.Content[0]
		}
		resName := scalar(mapGet(mapGet(root, "metadata"), "name"))
		var walk func(n *yaml.Node, depth int)
		walk = func(n *yaml.Node, depth int) {
			budget--
			if n == nil || depth > 64 || budget < 0 {
				return
			}
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					k, v := n.Content[i].Value, n.Content[i+1]
					if (k == "containers" || k == "initContainers") && v.Kind == yaml.SequenceNode {
						for _, c := range v.Content {
							if c.Kind == yaml.MappingNode {
								out = append(out, container(file, c, resName, vals, extraHints))
							}
						}
						continue
					}
					walk(v, depth+1)
				}
				return
			}
			for _, c := range n.Content {
				walk(c, depth+1)
			}
		}
		walk(root, 0)
	}
	return out
}

func container(file string, c *yaml.Node, resName string, vals *valueResolver, extraHints []string) *Workload {
	w := &Workload{Kind: KindManifest, Name: vals.subst(scalar(mapGet(c, "name"))), Loc: checks.Location{File: file, Line: c.Line}}
	if w.Name == "" || strings.Contains(w.Name, phTpl) {
		w.Name = vals.subst(resName)
	}
	w.Hints = append(w.Hints, w.Name, vals.subst(resName), vals.subst(scalar(mapGet(c, "image"))))
	for _, key := range []string{"command", "args"} {
		n := mapGet(c, key)
		if n == nil {
			continue
		}
		if n.Kind == yaml.ScalarNode {
			w.Hints = append(w.Hints, vals.subst(n.Value))
		}
		for _, a := range n.Content {
			w.Hints = append(w.Hints, vals.subst(scalar(a)))
		}
	}
	w.Hints = append(w.Hints, extraHints...)
	if ef := mapGet(c, "envFrom"); ef != nil && len(ef.Content) > 0 {
		w.Open = true
		w.OpenLoc = checks.Location{File: file, Line: ef.Line}
	}
	env := mapGet(c, "env")
	if env == nil {
		return w
	}
	var addItem func(item *yaml.Node, itemFile string, lineOffset int)
	addItem = func(item *yaml.Node, itemFile string, lineOffset int) {
		name := scalar(mapGet(item, "name"))
		m := &Mention{Name: name, Loc: checks.Location{File: itemFile, Line: item.Line + lineOffset}, Kind: KindManifest, Set: true, Workload: w, Value: scalar(mapGet(item, "value"))}
		if vf := mapGet(item, "valueFrom"); vf != nil && mapGet(vf, "secretKeyRef") != nil {
			m.Secret = true
		}
		switch {
		case strings.HasPrefix(name, phValues):
			m.Name = scalar(vals.get(strings.TrimPrefix(name, phValues)))
		case strings.HasPrefix(name, phRangeKey):
			p := strings.TrimPrefix(name, phRangeKey)
			if mp := vals.get(p); mp != nil && mp.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(mp.Content); i += 2 {
					k := mp.Content[i]
					mm := *m
					mm.Name, mm.Loc, mm.Value = k.Value, checks.Location{File: vals.file, Line: k.Line}, scalar(mp.Content[i+1])
					if validEnvName(mm.Name) {
						w.Env = append(w.Env, &mm)
					}
				}
			}
			return
		case strings.HasPrefix(name, phRangeIt):
			p, field, _ := strings.Cut(strings.TrimPrefix(name, phRangeIt), ":")
			if seq := vals.get(p); seq != nil && seq.Kind == yaml.SequenceNode {
				for _, it := range seq.Content {
					mm := *m
					mm.Name, mm.Loc = scalar(mapGet(it, field)), checks.Location{File: vals.file, Line: it.Line}
					if validEnvName(mm.Name) {
						w.Env = append(w.Env, &mm)
					}
				}
			}
			return
		}
		if validEnvName(m.Name) {
			w.Env = append(w.Env, m)
		}
	}
	for _, item := range env.Content {
		if item.Kind != yaml.MappingNode {
			continue
		}
		if inc := mapGet(item, phInclude); inc != nil && vals != nil {
			def, ok := vals.defines[scalar(inc)]
			if !ok {
				continue
			}
			docs, _ := parseYAMLDocs(def.file, detemplate([]byte(def.body)))
			for _, d := range docs {
				root := d
				if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
					root = root.Content[0]
				}
				if root.Kind != yaml.SequenceNode {
					continue
				}
				for _, it := range root.Content {
					if it.Kind == yaml.MappingNode {
						addItem(it, def.file, def.line-1)
					}
				}
			}
			continue
		}
		if sp := mapGet(item, phSplice); sp != nil {
			src := vals.get(scalar(sp))
			if src == nil {
				continue
			}
			switch src.Kind {
			case yaml.SequenceNode:
				for _, it := range src.Content {
					if it.Kind == yaml.MappingNode {
						addItem(it, vals.file, 0)
					}
				}
			case yaml.MappingNode:
				for i := 0; i+1 < len(src.Content); i += 2 {
					k := src.Content[i]
					if validEnvName(k.Value) {
						w.Env = append(w.Env, &Mention{Name: k.Value, Loc: checks.Location{File: vals.file, Line: k.Line}, Kind: KindManifest, Set: true, Workload: w, Value: scalar(src.Content[i+1])})
					}
				}
			}
			continue
		}
		addItem(item, file, 0)
	}
	return w
}

// extractCompose reads docker-compose services: environment (map or list), image,
// command, build, and ${VAR} references the compose file reads from the host.
func extractCompose(file string, docs []*yaml.Node) ([]*Workload, []*Mention) {
	var ws []*Workload
	var refs []*Mention
	for _, d := range docs {
		root := d
		if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
			root = root.Content[0]
		}
		budget := maxYAMLNodes
		var scan func(n *yaml.Node, depth int)
		scan = func(n *yaml.Node, depth int) {
			budget--
			if n == nil || depth > 64 || budget < 0 {
				return
			}
			if n.Kind == yaml.ScalarNode {
				for _, m := range shellRefRE.FindAllStringSubmatch(n.Value, -1) {
					name := m[1]
					if name == "" {
						name = m[2]
					}
					if validEnvName(name) {
						refs = append(refs, &Mention{Name: name, Loc: checks.Location{File: file, Line: n.Line}, Kind: KindCompose, Consumed: true})
					}
				}
			}
			for _, c := range n.Content {
				scan(c, depth+1)
			}
		}
		scan(root, 0)
		svcs := mapGet(root, "services")
		if svcs == nil || svcs.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(svcs.Content); i += 2 {
			name, s := svcs.Content[i], svcs.Content[i+1]
			w := &Workload{Kind: KindCompose, Name: name.Value, Loc: checks.Location{File: file, Line: name.Line}, Hints: []string{name.Value, scalar(mapGet(s, "image")), scalar(mapGet(s, "container_name"))}}
			for _, key := range []string{"command", "entrypoint"} {
				n := mapGet(s, key)
				w.Hints = append(w.Hints, scalar(n))
				if n != nil {
					for _, a := range n.Content {
						w.Hints = append(w.Hints, scalar(a))
					}
				}
			}
			if b := mapGet(s, "build"); b != nil {
				w.Hints = append(w.Hints, scalar(b), scalar(mapGet(b, "context")), scalar(mapGet(b, "dockerfile")))
			}
			if ef := mapGet(s, "env_file"); ef != nil {
				w.Open = true
				w.OpenLoc = checks.Location{File: file, Line: ef.Line}
			}
			env := mapGet(s, "environment")
			if env != nil {
				switch env.Kind {
				case yaml.MappingNode:
					for j := 0; j+1 < len(env.Content); j += 2 {
						k := env.Content[j]
						if validEnvName(k.Value) {
							w.Env = append(w.Env, &Mention{Name: k.Value, Loc: checks.Location{File: file, Line: k.Line}, Kind: KindCompose, Set: true, Workload: w, Value: scalar(env.Content[j+1])})
						}
					}
				case yaml.SequenceNode:
					for _, it := range env.Content {
						k, v, _ := strings.Cut(scalar(it), "=")
						if validEnvName(k) {
							w.Env = append(w.Env, &Mention{Name: k, Loc: checks.Location{File: file, Line: it.Line}, Kind: KindCompose, Set: true, Workload: w, Value: v})
						}
					}
				}
			}
			ws = append(ws, w)
		}
	}
	return ws, refs
}

var (
	actionRE    = regexp.MustCompile(`\{\{-?\s*(.*?)\s*-?\}\}`)
	valuesRefRE = regexp.MustCompile(`\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)`)
	rangeKVRE   = regexp.MustCompile(`^range\s+(\$[A-Za-z0-9_]+)\s*,\s*(\$[A-Za-z0-9_]+)\s*:=\s*(.+)$`)
	rangeOneRE  = regexp.MustCompile(`^range\s+(?:(\$[A-Za-z0-9_]+)\s*:=\s*)?(.+)$`)
	withRE      = regexp.MustCompile(`^with\s+(.+)$`)
	nindentRE   = regexp.MustCompile(`n?indent\s+(\d+)`)
	includeRE   = regexp.MustCompile(`^(?:include|template)\s+"([^"]+)"`)
	dotFieldRE  = regexp.MustCompile(`^(\$[A-Za-z0-9_]*)?\.([A-Za-z_][A-Za-z0-9_]*)\b`)
)

type tplFrame struct {
	kind   string // range-map, range-list, with, other
	path   string // values path of the ranged/with value
	keyVar string
	valVar string
}

// detemplate turns a Helm template into YAML that keeps the structure and line numbers:
// control actions become blank lines, `toYaml .Values.x` splices under a key become
// `- __splice__: x`, `{{ $k }}` of a range over values becomes `__rangekey__:x`, and other
// inline actions become __values__:path or __tpl__ placeholders.
func detemplate(src []byte) []byte {
	lines := strings.Split(string(src), "\n")
	var stack []tplFrame
	valuesPath := func(expr string) string {
		if m := valuesRefRE.FindStringSubmatch(expr); m != nil {
			return strings.TrimPrefix(m[1], ".")
		}
		// a field of the innermost with/range-list frame: .foo
		if m := dotFieldRE.FindStringSubmatch(strings.TrimSpace(expr)); m != nil && m[1] == "" {
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i].kind == "with" && stack[i].path != "" {
					return stack[i].path + "." + m[2]
				}
			}
		}
		if strings.TrimSpace(expr) == "." {
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i].kind == "with" {
					return stack[i].path
				}
			}
		}
		return ""
	}
	inline := func(expr string) string {
		expr = strings.TrimSpace(expr)
		fields := strings.Fields(expr)
		for i := len(stack) - 1; i >= 0; i-- {
			f := stack[i]
			if len(fields) > 0 && f.kind == "range-map" && fields[0] == f.keyVar {
				return phRangeKey + f.path
			}
			if f.kind == "range-list" {
				if m := dotFieldRE.FindStringSubmatch(expr); m != nil && (m[1] == "" || m[1] == f.valVar) {
					return phRangeIt + f.path + ":" + m[2]
				}
			}
		}
		if p := valuesPath(expr); p != "" {
			return phValues + p
		}
		return phTpl
	}
	prevKeyOnly := false
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		actions := actionRE.FindAllStringSubmatchIndex(line, -1)
		pure := len(actions) > 0 && strings.TrimSpace(actionRE.ReplaceAllString(line, "")) == ""
		if pure {
			repl := ""
			for _, a := range actions {
				expr := strings.TrimSpace(line[a[2]:a[3]])
				if strings.HasPrefix(expr, "/*") {
					continue
				}
				word, _, _ := strings.Cut(expr, " ")
				switch word {
				case "if", "define", "block":
					stack = append(stack, tplFrame{kind: "other"})
				case "with":
					m := withRE.FindStringSubmatch(expr)
					fr := tplFrame{kind: "with"}
					if m != nil {
						fr.path = valuesPath(m[1])
					}
					stack = append(stack, fr)
				case "range":
					if m := rangeKVRE.FindStringSubmatch(expr); m != nil {
						stack = append(stack, tplFrame{kind: "range-map", keyVar: m[1], valVar: m[2], path: valuesPath(m[3])})
					} else if m := rangeOneRE.FindStringSubmatch(expr); m != nil {
						stack = append(stack, tplFrame{kind: "range-list", valVar: m[1], path: valuesPath(m[2])})
					} else {
						stack = append(stack, tplFrame{kind: "other"})
					}
				case "end":
					if len(stack) > 0 {
						stack = stack[:len(stack)-1]
					}
				case "else":
				default:
					if (word == "include" || word == "template") && prevKeyOnly {
						if m := includeRE.FindStringSubmatch(expr); m != nil {
							indent := len(line) - len(strings.TrimLeft(line, " "))
							if m := nindentRE.FindStringSubmatch(expr); m != nil {
								indent, _ = strconv.Atoi(m[1])
							}
							repl = strings.Repeat(" ", min(indent, 200)) + "- " + phInclude + ": " + strconv.Quote(m[1])
						}
					}
					if strings.Contains(expr, "toYaml") && prevKeyOnly {
						arg := strings.TrimSpace(strings.TrimPrefix(strings.SplitN(expr, "|", 2)[0], "toYaml"))
						if p := valuesPath(arg); p != "" {
							indent := len(line) - len(strings.TrimLeft(line, " "))
							if m := nindentRE.FindStringSubmatch(expr); m != nil {
								indent, _ = strconv.Atoi(m[1])
							}
							repl = strings.Repeat(" ", min(indent, 200)) + "- " + phSplice + ": " + strconv.Quote(p)
						}
					}
				}
			}
			lines[i] = repl
			if repl != "" {
				prevKeyOnly = false
			}
			continue
		}
		if len(actions) > 0 {
			var b strings.Builder
			last := 0
			for _, a := range actions {
				b.WriteString(line[last:a[0]])
				b.WriteString(inline(line[a[2]:a[3]]))
				last = a[1]
			}
			b.WriteString(line[last:])
			lines[i] = b.String()
		}
		if trimmed != "" && !strings.HasPrefix(trimmed, "#") {
			prevKeyOnly = strings.HasSuffix(trimmed, ":")
		}
	}
	return []byte(strings.Join(lines, "\n"))
}

// helmTemplateHints are the strings of a template's path that may name its binary.
func helmTemplateHints(file string) []string {
	base := strings.TrimSuffix(path.Base(file), path.Ext(file))
	return []string{base}
}
