package rules

import (
	"regexp"
	"strings"
)

// helmOnly matches template actions that only Helm (never a Prometheus alert template)
// uses: chart values and objects, includes, YAML helpers and template comments.
var helmOnly = regexp.MustCompile(`\{\{-?\s*(?:/\*|.*?(?:\.Values\b|\.Release\.|\.Chart\.|\.Capabilities\b|\.Files\.|\binclude\s+"|\btemplate\s+"|\btoYaml\b|\bnindent\b|\btpl\b|\brequired\s+"|\$\.Values))`)

var (
	blockIndicator = regexp.MustCompile(`:\s*[|>][-+0-9]*\s*(#.*)?$`)
	keyLine        = regexp.MustCompile(`^(-\s+)?([^\s:#"'{][^:]*?|"[^"]*"|'[^']*')\s*:(\s|$)`)
)

// structuralKeys are rule-file keys whose values Prometheus never template-expands: a
// template action there can only be Helm's.
var structuralKeys = map[string]bool{"expr": true, "alert": true, "record": true, "for": true, "keep_firing_for": true,
	"name": true, "interval": true, "limit": true, "groups": true, "rules": true, "kind": true, "apiVersion": true}

// helmTemplate reports whether a rule file is a Helm template that must be rendered
// before it can be checked. `{{` alone is not a signal: alert labels and annotations are
// Go templates in Prometheus too. Signals are Helm-only actions (.Values, include,
// toYaml, template comments...), an action at a YAML structural position (its own line
// outside a block scalar, or a key), and an action inside an expression or name.
func helmTemplate(data []byte) *Problem {
	if !strings.Contains(string(data), "{{") {
		return nil
	}
	lines := strings.Split(string(data), "\n")
	blockIndent, blockKey := -1, ""
	for i, l := range lines {
		t := strings.TrimSpace(l)
		ind := leading(l)
		if blockIndent >= 0 && (t == "" || ind > blockIndent) {
			if structuralKeys[blockKey] && strings.Contains(t, "{{") {
				return helmProblem(i+1, "template action inside `"+blockKey+"`")
			}
			if helmOnly.MatchString(t) {
				return helmProblem(i+1, "Helm template action")
			}
			continue
		}
		blockIndent, blockKey = -1, ""
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if helmOnly.MatchString(t) {
			return helmProblem(i+1, "Helm template action")
		}
		if strings.HasPrefix(t, "{{") {
			return helmProblem(i+1, "template action at a YAML structural position")
		}
		m := keyLine.FindStringSubmatch(strings.TrimLeft(l, " "))
		if m == nil {
			continue
		}
		key := strings.Trim(m[2], `"'`)
		if strings.Contains(key, "{{") {
			return helmProblem(i+1, "template action in a key")
		}
		if blockIndicator.MatchString(t) {
			blockIndent = ind + len(m[1])
			blockKey = key
			continue
		}
		if structuralKeys[key] && strings.Contains(t, "{{") {
			return helmProblem(i+1, "template action inside `"+key+"`")
		}
	}
	return nil
}

func helmProblem(line int, why string) *Problem {
	return &Problem{Line: line, Column: 1, Msg: "Helm template (" + why + "): render it with `helm template` and check the output"}
}
