package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/streamaudit/streamaudit/checks"
)

// checkCopyDrift compares every copy of a rules.copies entry with its first member:
// rules are matched by kind and name (in order of occurrence), expressions compared after
// normalisation through the PromQL parser, and for/labels/annotations compared as values.
func checkCopyDrift(in *Input) []checks.Finding {
	var out []checks.Finding
	for _, set := range in.Config.Copies {
		if len(set) < 2 || allJSON(set) {
			continue // dashboard copies are compared by the dashboards stage
		}
		base, err := in.file(set[0])
		if err != nil {
			out = append(out, checks.Finding{Rule: "rules-copy-drift", File: in.requiredFile(),
				Message: fmt.Sprintf("rules.copies: %s cannot be read: %v", set[0], err), Key: "missing " + set[0]})
			continue
		}
		for _, p := range set[1:] {
			cp, err := in.file(p)
			if err != nil {
				out = append(out, checks.Finding{Rule: "rules-copy-drift", File: in.requiredFile(),
					Message: fmt.Sprintf("rules.copies: copy %s of %s cannot be read: %v", p, set[0], err), Key: "missing " + p})
				continue
			}
			out = append(out, compareCopies(base, cp)...)
		}
	}
	return out
}

func (in *Input) file(p string) (*File, error) {
	for _, f := range in.Files {
		if f.Path == p {
			return f, nil
		}
	}
	if in.Load == nil {
		return nil, fmt.Errorf("not loaded")
	}
	return in.Load(p)
}

type keyedRule struct {
	key  string
	rule Rule
}

func keyed(f *File) []keyedRule {
	n := map[string]int{}
	var out []keyedRule
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			k := ruleKind(r) + " " + r.Name()
			n[k]++
			if n[k] > 1 {
				k = fmt.Sprintf("%s (#%d)", k, n[k])
			}
			out = append(out, keyedRule{k, r})
		}
	}
	return out
}

// CompareCopies returns rules-copy-drift findings for cp against base, one per rule
// that differs, located in the copy.
func compareCopies(base, cp *File) []checks.Finding {
	var out []checks.Finding
	if cp.Rendering != nil || base.Rendering != nil {
		return nil // templates cannot be compared unrendered (reported as needs rendering)
	}
	bk, ck := keyed(base), keyed(cp)
	bm := map[string]Rule{}
	for _, k := range bk {
		bm[k.key] = k.rule
	}
	cm := map[string]Rule{}
	for _, k := range ck {
		cm[k.key] = k.rule
		b, ok := bm[k.key]
		if !ok {
			out = append(out, checks.Finding{Rule: "rules-copy-drift", File: cp.Path, Line: k.rule.Line,
				Message: fmt.Sprintf("%s is in the copy %s but not in %s", k.key, cp.Path, base.Path),
				Key:     k.key + " extra", Evidence: k.rule.Expr,
				Related: []checks.Location{{File: base.Path, Message: "original"}}})
			continue
		}
		if diffs := ruleDiff(b, k.rule); len(diffs) > 0 {
			out = append(out, checks.Finding{Rule: "rules-copy-drift", File: cp.Path, Line: k.rule.Line,
				Message: fmt.Sprintf("%s differs from %s:%d: %s", k.key, base.Path, b.Line, strings.Join(diffs, "; ")),
				Key:     k.key + " differs", Evidence: k.rule.Expr,
				Fix:     "make the copy identical to " + base.Path + " (or generate it from there)",
				Related: []checks.Location{{File: base.Path, Line: b.Line, Message: "original"}}})
		}
	}
	for _, k := range bk {
		if _, ok := cm[k.key]; !ok {
			out = append(out, checks.Finding{Rule: "rules-copy-drift", File: cp.Path, Line: 1,
				Message: fmt.Sprintf("%s of %s:%d is missing from the copy %s", k.key, base.Path, k.rule.Line, cp.Path),
				Key:     k.key + " missing", Evidence: k.rule.Expr,
				Related: []checks.Location{{File: base.Path, Line: k.rule.Line, Message: "original"}}})
		}
	}
	return out
}

// ruleDiff describes how two rules differ (empty: equivalent).
func ruleDiff(a, b Rule) []string {
	var d []string
	if na, nb := Normalize(a.Expr), Normalize(b.Expr); na != nb {
		d = append(d, fmt.Sprintf("expr %q vs %q", na, nb))
	}
	if a.For != b.For {
		d = append(d, fmt.Sprintf("for %s vs %s", dur(a.For.String()), dur(b.For.String())))
	}
	if a.Group != b.Group {
		d = append(d, fmt.Sprintf("group %q vs %q", a.Group, b.Group))
	}
	if a.KeepFiringFor != b.KeepFiringFor {
		d = append(d, fmt.Sprintf("keep_firing_for %s vs %s", a.KeepFiringFor, b.KeepFiringFor))
	}
	d = append(d, mapDiff("label", a.Labels, b.Labels)...)
	d = append(d, mapDiff("annotation", a.Annotations, b.Annotations)...)
	return d
}

func dur(s string) string {
	if s == "0s" {
		return "none"
	}
	return s
}

func mapDiff(what string, a, b map[string]string) []string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var d []string
	for _, k := range sorted {
		va, oka := a[k]
		vb, okb := b[k]
		switch {
		case !oka:
			d = append(d, fmt.Sprintf("%s %s only in the copy", what, k))
		case !okb:
			d = append(d, fmt.Sprintf("%s %s missing in the copy", what, k))
		case strings.Join(strings.Fields(va), " ") != strings.Join(strings.Fields(vb), " "):
			d = append(d, fmt.Sprintf("%s %s %q vs %q", what, k, clip(va), clip(vb)))
		}
	}
	return d
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

func allJSON(set []string) bool {
	for _, p := range set {
		if !strings.HasSuffix(p, ".json") {
			return false
		}
	}
	return true
}
