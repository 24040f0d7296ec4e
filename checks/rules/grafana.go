package rules

import (
	"fmt"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// isGrafanaGroups reports whether groups is Grafana alerting provisioning (groups carry
// folder/orgId, rules carry uid/title/data).
func isGrafanaGroups(groups *yaml.Node) bool {
	if groups == nil || groups.Kind != yaml.SequenceNode || len(groups.Content) == 0 {
		return false
	}
	g := groups.Content[0]
	k1, _ := mapGet(g, "folder")
	k2, _ := mapGet(g, "orgId")
	return k1 != nil || k2 != nil
}

// loadGrafana reads Grafana-managed alert rules: every Prometheus query of a rule's data
// becomes one Rule named after the rule's title; server-side expressions are skipped.
func (f *File) loadGrafana(groups *yaml.Node) {
	for _, gn := range groups.Content {
		g := Group{Line: gn.Line, Source: "grafana"}
		if _, n := mapGet(gn, "name"); n != nil {
			g.Name = n.Value
		}
		_, rs := mapGet(gn, "rules")
		if rs == nil || rs.Kind != yaml.SequenceNode {
			f.Groups = append(f.Groups, g)
			continue
		}
		for _, rn := range rs.Content {
			base := Rule{Line: rn.Line, Group: g.Name}
			if _, t := mapGet(rn, "title"); t != nil {
				base.Alert = t.Value
			}
			if _, v := mapGet(rn, "for"); v != nil {
				if d, err := model.ParseDuration(v.Value); err == nil {
					base.For = time.Duration(d)
				}
			}
			if _, v := mapGet(rn, "labels"); v != nil {
				base.Labels = stringMap(v)
			}
			if _, v := mapGet(rn, "annotations"); v != nil {
				base.Annotations = stringMap(v)
			}
			_, data := mapGet(rn, "data")
			if data == nil || data.Kind != yaml.SequenceNode {
				continue
			}
			for _, q := range data.Content {
				if _, uid := mapGet(q, "datasourceUid"); uid != nil && (uid.Value == "__expr__" || uid.Value == "-100") {
					continue
				}
				_, m := mapGet(q, "model")
				if _, ds := mapGet(m, "datasource"); ds != nil {
					if _, typ := mapGet(ds, "type"); typ != nil && typ.Value != "prometheus" {
						continue
					}
				}
				_, ex := mapGet(m, "expr")
				if ex == nil || ex.Kind != yaml.ScalarNode {
					continue
				}
				r := base
				r.Expr = ex.Value
				r.ExprLine = ex.Line
				if ex.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
					r.ExprLine = ex.Line + 1
				}
				e, err := ParseExpr(r.Expr)
				if err != nil {
					f.Problems = append(f.Problems, Problem{Line: r.ExprLine, Column: ex.Column, Msg: fmt.Sprintf("group %q, rule %q: could not parse expression: %v", g.Name, r.Alert, err)})
				} else {
					r.Parsed = e
				}
				g.Rules = append(g.Rules, r)
			}
		}
		f.Groups = append(f.Groups, g)
	}
}
