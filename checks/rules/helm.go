package rules

import (
	"regexp"
	"strings"
)

// helmWords are what only Helm (never a Prometheus alert template) uses after a template
// action's `{{`: chart values and objects, includes and YAML helpers. helmOnly adds
// template comments.
var helmWords = regexp.MustCompile(`\.Values\b|\.Release\.|\.Chart\.|\.Capabilities\b|\.Files\.|\binclude\s+"|\btemplate\s+"|\btoYaml\b|\bnindent\b|\btpl\b|\brequired\s+"|\$\.Values`)

// helmOnly reports whether line (without "\n") holds a template action only Helm uses: a `{{` followed
// (anywhere later on the line) by one of helmWords, or a template comment `{{/*` (also
// `{{- /*`). It is what the regexp
//
//	\{\{-?\s*(?:/\*|.*?(?:helmWords))
//
// matches, without that regexp's backtracking over every `{{` of every annotation.
func helmOnly(line string) bool {
	i := strings.Index(line, "{{")
	if i < 0 {
		return false
	}
	// The character before line[i+2:] is '{', a non-word character, so \b at the start
	// of the rest means what it means in the whole line.
	if rest := line[i+2:]; mayHaveHelmWord(rest) && helmWords.MatchString(rest) {
		return true
	}
	for ; i >= 0; i = next(line, i) {
		rest := strings.TrimLeft(strings.TrimPrefix(line[i+2:], "-"), " \t\n\f\r")
		if strings.HasPrefix(rest, "/*") {
			return true
		}
	}
	return false
}

// helmLiterals holds a literal that each alternative of helmWords contains.
var helmLiterals = []string{".Values", ".Release.", ".Chart.", ".Capabilities", ".Files.", "include", "template", "toYaml", "nindent", "tpl", "required"}

// mayHaveHelmWord is a cheap pre-filter for helmWords: most `{{` lines are alert
// annotations ({{ $labels.job }}) that contain none of its literals.
func mayHaveHelmWord(s string) bool {
	for _, w := range helmLiterals {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// next returns the index of the next `{{` after the one at i (overlapping ones
// included), or -1.
func next(s string, i int) int {
	j := strings.Index(s[i+1:], "{{")
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

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
			if helmOnly(t) {
				return helmProblem(i+1, "Helm template action")
			}
			continue
		}
		blockIndent, blockKey = -1, ""
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if helmOnly(t) {
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
