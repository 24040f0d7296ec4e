// Package claims is verify's claims stage: roadmap claims; consumes State.Findings, fills State.Claims.
//
// Tracking documents (claims.docs) mark items (ids like M-413) complete: checked task
// items, ✅/COMPLETE/FIXED/DONE or "status: done" in headings, list items, table rows and
// status paragraphs under an id heading, items listed under a "✅ Done" heading, and
// coverage sentences ("applied consistently across producer/consumer/admin") next to an
// id; negations (❌, NOT FIXED, in progress, re-opened) are not claims. Each item is linked
// to rules through claims.checks or an inline <!-- verify: RULE --> comment. The stage
// runs last and judges every claim by the findings the earlier stages left in
// State.Findings: a linked rule with a warning or error finding re-opens the claim
// (claim-failing, the findings as evidence); no link is claim-unverified, an unknown rule
// claim-check-missing. One claim per item and document; further lines are evidence.
package claims

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/streamaudit/streamaudit/checks"
)

// Stage is the claims stage (see checks.Stage).
var Stage = checks.Stage{
	Name:  "claims",
	Group: "claims",
	Rules: []string{"claim-failing", "claim-unverified", "claim-check-missing"},
	Run:   run,
}

// maxDocSize bounds one tracking document.
const maxDocSize = 64 << 20

func run(ctx context.Context, ws *checks.Workspace, st *checks.State) error {
	files, err := ws.Files()
	if err != nil {
		return err
	}
	nested := checks.NestedModuleDirs(files)
	docs, err := ws.Glob(ws.Config.Claims.Docs)
	if err != nil {
		return err
	}
	var parsed []*Parsed
	for _, f := range docs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if ext := strings.ToLower(path.Ext(f)); ext != ".md" && ext != ".markdown" || checks.UnderAny(f, nested) {
			continue
		}
		data, err := ws.ReadFile(f)
		if err != nil {
			st.Errors = append(st.Errors, fmt.Sprintf("claims: %s: %v", f, err))
			continue
		}
		if len(data) > maxDocSize {
			st.Errors = append(st.Errors, fmt.Sprintf("claims: %s: %d bytes, larger than %d: skipped", f, len(data), maxDocSize))
			continue
		}
		parsed = append(parsed, Parse(f, data)...)
	}
	claims, findings := Evaluate(parsed, ws.Config.Claims.Checks, st.Findings)
	st.Claims = append(st.Claims, claims...)
	st.Add(findings...)
	return nil
}

// Evaluate judges parsed claims against the findings of the other stages. links maps
// item ids to rule IDs (claims.checks); inline verify comments add to it. A linked rule
// fails when it has a finding at warning or error severity that is not fixed.
func Evaluate(parsed []*Parsed, links map[string][]string, findings []checks.Finding) ([]checks.Claim, []checks.Finding) {
	byRule := map[string][]checks.Finding{}
	for _, f := range findings {
		if f.Status == checks.StatusFixed || strings.HasPrefix(f.Rule, "claim-") {
			continue
		}
		sev := f.Severity
		if r, ok := checks.LookupRule(f.Rule); ok && sev == "" {
			sev = r.Severity
		}
		if sev.Rank() < checks.SeverityWarning.Rank() {
			continue // info findings (e.g. low-confidence notes) do not fail a check
		}
		byRule[f.Rule] = append(byRule[f.Rule], f)
	}
	var claims []checks.Claim
	var out []checks.Finding
	for _, p := range parsed {
		rules := uniq(append(append([]string(nil), links[p.ID]...), p.Verify...))
		c := checks.Claim{ID: p.ID, File: p.File, Line: p.Line, Claimed: p.Claimed, Checks: rules, Text: p.Text}
		if c.Checks == nil {
			c.Checks = []string{}
		}
		more := make([]checks.Location, 0, len(p.More))
		for _, l := range p.More {
			more = append(more, checks.Location{File: p.File, Line: l, Message: "also claimed here"})
		}
		if len(rules) == 0 {
			out = append(out, checks.Finding{
				Rule: "claim-unverified", File: p.File, Line: p.Line, Key: p.ID, Evidence: p.Text, Related: more,
				Message: fmt.Sprintf("%s is marked %s but no check is linked to it", p.ID, p.Claimed),
				Fix:     fmt.Sprintf("Link %s to the rules that prove it: claims.checks in .streamaudit.yaml or <!-- verify: RULE --> next to the claim.", p.ID),
			})
			claims = append(claims, c)
			continue
		}
		var missing, dynamicOnly []string
		var failing []checks.Finding
		var failRules []string
		judged := 0
		for _, r := range rules {
			rule, ok := checks.LookupRule(r)
			if !ok {
				missing = append(missing, r)
				continue
			}
			if rule.Area == "soak" && len(byRule[r]) == 0 {
				dynamicOnly = append(dynamicOnly, r) // judged by `verify soak`, not here
				continue
			}
			judged++
			if fs := byRule[r]; len(fs) > 0 {
				failing = append(failing, fs...)
				failRules = append(failRules, fmt.Sprintf("%s (%d)", r, len(fs)))
			}
		}
		if len(missing) > 0 {
			out = append(out, checks.Finding{
				Rule: "claim-check-missing", File: p.File, Line: p.Line, Key: p.ID + ":" + strings.Join(missing, ","),
				Evidence: strings.Join(missing, ", "), Related: more,
				Message: fmt.Sprintf("%s links %s, which %s not in the rule catalogue", p.ID, strings.Join(missing, ", "), isAre(len(missing))),
				Fix:     "Use rule IDs from docs/CHECKS.md.",
			})
		}
		if len(failing) > 0 {
			sortFindings(failing)
			rel := append([]checks.Location(nil), more...)
			for _, f := range failing {
				rel = append(rel, checks.Location{File: f.File, Line: f.Line, Column: f.Column, EndLine: f.EndLine, Message: f.Rule + ": " + f.Message})
			}
			c.Failing = checks.FinishFindings(append([]checks.Finding(nil), failing...))
			out = append(out, checks.Finding{
				Rule: "claim-failing", File: p.File, Line: p.Line, Key: p.ID, Evidence: p.Text, Related: rel,
				Message: fmt.Sprintf("%s is marked %s here, but its linked check %s %s: %s; re-opened",
					p.ID, p.Claimed, strings.Join(failRules, ", "), failVerb(len(failRules)), firstLocations(failing, 5)),
				Fix: fmt.Sprintf("Re-open %s in this document until the linked checks pass, or fix the findings listed as evidence.", p.ID),
			})
		}
		if judged == 0 && len(missing) == 0 {
			out = append(out, checks.Finding{
				Rule: "claim-unverified", File: p.File, Line: p.Line, Key: p.ID, Evidence: p.Text, Related: more,
				Message: fmt.Sprintf("%s is marked %s; its linked checks (%s) only run in `verify soak`, so this run cannot confirm it", p.ID, p.Claimed, strings.Join(dynamicOnly, ", ")),
				Fix:     "Run `verify soak`, or link a static check as well.",
			})
		}
		c.Verified = len(failing) == 0 && len(missing) == 0 && judged > 0
		claims = append(claims, c)
	}
	sort.SliceStable(claims, func(i, j int) bool {
		if claims[i].File != claims[j].File {
			return claims[i].File < claims[j].File
		}
		return claims[i].Line < claims[j].Line
	})
	return claims, out
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func failVerb(n int) string {
	if n == 1 {
		return "reports findings"
	}
	return "report findings"
}

func firstLocations(fs []checks.Finding, n int) string {
	var parts []string
	for i, f := range fs {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(fs)-n))
			break
		}
		parts = append(parts, f.Position().String())
	}
	return strings.Join(parts, ", ")
}

func sortFindings(fs []checks.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].File != fs[j].File {
			return fs[i].File < fs[j].File
		}
		return fs[i].Line < fs[j].Line
	})
}

func uniq(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		x = strings.TrimSpace(x)
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
