package dashboards

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/streamaudit/streamaudit/checks/rules"
)

// Query is one Prometheus query of a dashboard: a panel target or a templating query.
type Query struct {
	Where string // "panel \"Title\" target A", "variable topic"
	Raw   string // as written in the dashboard
	Expr  string // after variable substitution
	Line  int
	// Parsed is nil when the query does not parse (see Err).
	Parsed parser.Expr
	Err    error
	// Dynamic is true when a variable stands in a metric name: selectors whose name
	// holds a placeholder are not checked.
	Dynamic bool
}

// Dashboard is one loaded Grafana dashboard.
type Dashboard struct {
	Path    string
	Title   string
	Queries []Query
	// Problem is set when the file is not a dashboard JSON at all.
	Problem *Problem
	// Skipped counts targets of non-Prometheus data sources.
	Skipped int
}

// Problem is a file-level load error.
type Problem struct {
	Line int
	Msg  string
}

// Load parses a Grafana dashboard (plain, or wrapped in {"dashboard": ...}). It walks
// panels, collapsed-row panels, legacy rows and templating queries, skips targets of
// non-Prometheus data sources, substitutes Grafana variables and parses each query with
// the PromQL parser. It never panics.
func Load(path string, data []byte) (d *Dashboard) {
	d = &Dashboard{Path: path}
	defer func() {
		if r := recover(); r != nil {
			d.Problem = &Problem{Msg: fmt.Sprintf("internal error while loading (please report): %v\n%s", r, debug.Stack())}
		}
	}()
	var root map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		d.Problem = &Problem{Line: 1, Msg: err.Error()}
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			d.Problem.Line = lineAt(data, int(se.Offset))
		case errors.As(err, &te):
			d.Problem.Line = lineAt(data, int(te.Offset))
			d.Problem.Msg = "not a Grafana dashboard object: " + err.Error()
		}
		return d
	}
	if inner, ok := root["dashboard"].(map[string]any); ok {
		root = inner
	}
	d.Title, _ = root["title"].(string)
	w := &walker{d: d, data: data, used: map[int]bool{}, vars: variables(root)}
	w.defaultProm = w.isPrometheus(nil)
	if list, ok := dig(root, "templating", "list").([]any); ok {
		for _, v := range list {
			w.variable(v)
		}
	}
	w.panels(root["panels"], nil)
	if rows, ok := root["rows"].([]any); ok {
		for _, r := range rows {
			if rm, ok := r.(map[string]any); ok {
				w.panels(rm["panels"], rm["datasource"])
			}
		}
	}
	if len(d.Queries) == 0 && root["panels"] == nil && root["rows"] == nil && root["templating"] == nil {
		d.Problem = &Problem{Line: 1, Msg: "no panels, rows or templating: not a Grafana dashboard"}
	}
	return d
}

func dig(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

func lineAt(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

type variable struct {
	typ, query string
	value      string
}

func variables(root map[string]any) map[string]variable {
	out := map[string]variable{}
	list, _ := dig(root, "templating", "list").([]any)
	for _, v := range list {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		name, _ := m["name"].(string)
		if name == "" {
			continue
		}
		vr := variable{}
		vr.typ, _ = m["type"].(string)
		switch q := m["query"].(type) {
		case string:
			vr.query = q
		case map[string]any:
			vr.query, _ = q["query"].(string)
		}
		if cur, ok := m["current"].(map[string]any); ok {
			switch v := cur["value"].(type) {
			case string:
				vr.value = v
			case []any:
				if len(v) > 0 {
					vr.value, _ = v[0].(string)
				}
			}
		}
		out[name] = vr
	}
	return out
}

type walker struct {
	d           *Dashboard
	data        []byte
	used        map[int]bool
	vars        map[string]variable
	defaultProm bool
}

var nonProm = regexp.MustCompile(`(?i)loki|elastic|influx|graphite|mysql|postgres|tempo|jaeger|zipkin|cloudwatch|stackdriver|azure|opentsdb|mssql|testdata|grafana|__expr__|-- dashboard --|mixed`)

// isPrometheus decides whether a datasource reference (string name, variable or
// {type, uid} object; nil = the default) is Prometheus-compatible.
func (w *walker) isPrometheus(ds any) bool {
	switch v := ds.(type) {
	case nil:
		return true // the default data source; Prometheus dashboards assume it
	case map[string]any:
		typ, _ := v["type"].(string)
		uid, _ := v["uid"].(string)
		if typ != "" {
			return typ == "prometheus"
		}
		return w.isPrometheus(uid)
	case string:
		if name, ok := varName(v); ok {
			if vr, ok := w.vars[name]; ok && vr.typ == "datasource" {
				return vr.query == "prometheus" || vr.query == ""
			}
			return !nonProm.MatchString(v)
		}
		return !nonProm.MatchString(v)
	}
	return true
}

var varRef = regexp.MustCompile(`^\$\{?([A-Za-z0-9_]+)(?::[a-z]+)?\}?$`)

func varName(s string) (string, bool) {
	m := varRef.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", false
	}
	return m[1], true
}

func (w *walker) panels(v any, inherited any) {
	list, ok := v.([]any)
	if !ok {
		return
	}
	for _, p := range list {
		pm, ok := p.(map[string]any)
		if !ok {
			continue
		}
		ds := pm["datasource"]
		if ds == nil {
			ds = inherited
		}
		title, _ := pm["title"].(string)
		if targets, ok := pm["targets"].([]any); ok {
			for i, t := range targets {
				tm, ok := t.(map[string]any)
				if !ok {
					continue
				}
				tds := tm["datasource"]
				if tds == nil {
					tds = ds
				}
				expr, ok := tm["expr"].(string)
				if !ok || strings.TrimSpace(expr) == "" {
					continue
				}
				if !w.isPrometheus(tds) {
					w.d.Skipped++
					continue
				}
				ref, _ := tm["refId"].(string)
				if ref == "" {
					ref = fmt.Sprint(i)
				}
				w.add(fmt.Sprintf("panel %q target %s", title, ref), expr, expr)
			}
		}
		w.panels(pm["panels"], ds) // collapsed rows keep their panels inside
	}
}

var (
	labelValuesRE = regexp.MustCompile(`^\s*label_values\(\s*(.+)\s*,\s*[A-Za-z0-9_]+\s*\)\s*$`)
	queryResultRE = regexp.MustCompile(`^\s*query_result\(\s*(.+)\s*\)\s*$`)
)

func (w *walker) variable(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	if t, _ := m["type"].(string); t != "query" {
		return
	}
	if !w.isPrometheus(m["datasource"]) {
		w.d.Skipped++
		return
	}
	name, _ := m["name"].(string)
	var q string
	switch qq := m["query"].(type) {
	case string:
		q = qq
	case map[string]any:
		q, _ = qq["query"].(string)
	}
	if mm := labelValuesRE.FindStringSubmatch(q); mm != nil {
		w.add("variable "+name, q, mm[1])
	} else if mm := queryResultRE.FindStringSubmatch(q); mm != nil {
		w.add("variable "+name, q, mm[1])
	}
}

// add records a query, locating its line in the file and parsing it.
func (w *walker) add(where, raw, expr string) {
	q := Query{Where: where, Raw: raw, Line: w.line(raw)}
	q.Expr, q.Dynamic = Substitute(expr, w.vars)
	q.Parsed, q.Err = rules.ParseExpr(q.Expr)
	if q.Err != nil && q.Dynamic {
		// A variable in a number position (topk($n, ...)): try its value or 1.
		alt, _ := substitute(expr, w.vars, "1")
		if e, err := rules.ParseExpr(alt); err == nil {
			q.Expr, q.Parsed, q.Err = alt, e, nil
		}
	}
	w.d.Queries = append(w.d.Queries, q)
}

// line finds the first unused occurrence of the JSON-encoded text in the file.
func (w *walker) line(raw string) int {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(raw)
	needle := bytes.TrimSpace(buf.Bytes())
	candidates := [][]byte{needle}
	if esc, err := json.Marshal(raw); err == nil && !bytes.Equal(esc, needle) {
		candidates = append(candidates, esc)
	}
	for _, n := range candidates {
		off := 0
		for {
			i := bytes.Index(w.data[off:], n)
			if i < 0 {
				break
			}
			at := off + i
			if !w.used[at] {
				w.used[at] = true
				return lineAt(w.data, at)
			}
			off = at + 1
		}
	}
	return 1
}

// Sort orders queries by line.
func (d *Dashboard) Sort() {
	sort.SliceStable(d.Queries, func(i, j int) bool { return d.Queries[i].Line < d.Queries[j].Line })
}
