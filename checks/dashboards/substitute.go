package dashboards

import (
	"regexp"
	"strings"
)

// grafanaVar matches $name, ${name}, ${name:format} and [[name]].
var grafanaVar = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(?::[^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\[\[([A-Za-z0-9_]+)(?::[^\]]*)?\]\]`)

// placeholder marks a variable used where a metric or label name goes.
const placeholder = "__grafana_var__"

// Substitute replaces Grafana variables so the query parses as PromQL: interval
// variables ($__rate_interval, $__interval, $__range, ...) and any variable inside a
// range [...] become 5m, variables inside quoted strings become "x", and others become a
// placeholder identifier. dynamic is true when a placeholder was needed.
func Substitute(expr string, vars map[string]variable) (string, bool) {
	return substitute(expr, vars, placeholder)
}

func substitute(expr string, vars map[string]variable, bare string) (string, bool) {
	dynamic := false
	var b strings.Builder
	inQuote := byte(0)
	depthBracket := 0
	last := 0
	for _, loc := range grafanaVar.FindAllStringSubmatchIndex(expr, -1) {
		// Track quoting and brackets up to this match.
		for i := last; i < loc[0]; i++ {
			c := expr[i]
			switch {
			case inQuote != 0:
				if c == '\\' {
					i++
				} else if c == inQuote {
					inQuote = 0
				}
			case c == '"' || c == '\'' || c == '`':
				inQuote = c
			case c == '[':
				depthBracket++
			case c == ']':
				if depthBracket > 0 {
					depthBracket--
				}
			}
			b.WriteByte(c)
		}
		name := ""
		for g := 1; g <= 3; g++ {
			if loc[2*g] >= 0 {
				name = expr[loc[2*g]:loc[2*g+1]]
			}
		}
		switch {
		case inQuote != 0:
			b.WriteString("x")
		case strings.HasPrefix(name, "__") && (strings.HasSuffix(name, "_s") || strings.HasSuffix(name, "_ms")):
			b.WriteString("300") // $__range_s, $__interval_ms: numbers
		case depthBracket > 0 || isInterval(name, vars):
			b.WriteString("5m")
		default:
			if v, ok := vars[name]; ok && (v.typ == "constant" || v.typ == "custom" || v.typ == "textbox") && simpleValue(v.value) {
				b.WriteString(v.value)
			} else {
				b.WriteString(bare)
				dynamic = true
			}
		}
		last = loc[1]
	}
	b.WriteString(expr[last:])
	return b.String(), dynamic
}

var simpleRE = regexp.MustCompile(`^[A-Za-z0-9_.:]+$`)

func simpleValue(s string) bool {
	return s != "" && !strings.HasPrefix(s, "$") && simpleRE.MatchString(s)
}

func isInterval(name string, vars map[string]variable) bool {
	if strings.HasPrefix(name, "__") && (strings.Contains(name, "interval") || strings.Contains(name, "range")) {
		return true
	}
	v, ok := vars[name]
	return ok && v.typ == "interval"
}
