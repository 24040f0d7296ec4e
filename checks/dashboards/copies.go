package dashboards

import (
	"fmt"
	"strings"

	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/checks/rules"
)

// IsDashboardCopySet reports whether a rules.copies entry lists dashboards (every path
// ends in .json); those sets are compared here, rule sets by the rules stage.
func IsDashboardCopySet(set []string) bool {
	if len(set) < 2 {
		return false
	}
	for _, p := range set {
		if !strings.HasSuffix(p, ".json") {
			return false
		}
	}
	return true
}

// CompareCopies reports rules-copy-drift between a dashboard and its copy: queries are
// matched by where they sit (panel title and refId, or variable name, in order) and
// compared after substitution and normalisation through the PromQL parser.
func CompareCopies(base, cp *Dashboard) []checks.Finding {
	if base.Problem != nil || cp.Problem != nil {
		return nil // reported as dashboard-invalid
	}
	key := func(d *Dashboard) (map[string]Query, []string) {
		m := map[string]Query{}
		var order []string
		n := map[string]int{}
		for _, q := range d.Queries {
			k := q.Where
			n[k]++
			if n[k] > 1 {
				k = fmt.Sprintf("%s (#%d)", k, n[k])
			}
			m[k] = q
			order = append(order, k)
		}
		return m, order
	}
	bm, border := key(base)
	cm, corder := key(cp)
	var out []checks.Finding
	for _, k := range corder {
		q := cm[k]
		b, ok := bm[k]
		if !ok {
			out = append(out, checks.Finding{Rule: "rules-copy-drift", File: cp.Path, Line: q.Line,
				Message: fmt.Sprintf("%s is in the copy %s but not in %s", k, cp.Path, base.Path),
				Key:     k + " extra", Evidence: q.Raw, Related: []checks.Location{{File: base.Path, Message: "original"}}})
			continue
		}
		if na, nb := rules.Normalize(b.Expr), rules.Normalize(q.Expr); na != nb {
			out = append(out, checks.Finding{Rule: "rules-copy-drift", File: cp.Path, Line: q.Line,
				Message: fmt.Sprintf("%s differs from %s:%d: %q vs %q", k, base.Path, b.Line, na, nb),
				Key:     k + " differs", Evidence: q.Raw, Fix: "make the copy identical to " + base.Path,
				Related: []checks.Location{{File: base.Path, Line: b.Line, Message: "original"}}})
		}
	}
	for _, k := range border {
		if _, ok := cm[k]; !ok {
			b := bm[k]
			out = append(out, checks.Finding{Rule: "rules-copy-drift", File: cp.Path, Line: 1,
				Message: fmt.Sprintf("%s of %s:%d is missing from the copy %s", k, base.Path, b.Line, cp.Path),
				Key:     k + " missing", Evidence: b.Raw, Related: []checks.Location{{File: base.Path, Line: b.Line, Message: "original"}}})
		}
	}
	return out
}
