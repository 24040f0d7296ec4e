package claims

import (
	"regexp"
	"strings"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"

	"github.com/streamaudit/streamaudit/checks/envdrift/mdtext"
)

// Parsed is one claim found in a document, before its checks are run.
type Parsed struct {
	ID      string
	File    string
	Line    int
	Claimed string // complete, fixed, done, coverage
	Text    string
	// Verify lists rules named by inline <!-- verify: RULE --> comments.
	Verify []string
	// More lists further lines of the same document claiming the same item.
	More []int
}

var (
	negRE      = regexp.MustCompile(`(?i)(❌|⏳|🚧|\bnot\s+(yet\s+)?(complete|completed|fixed|done|verified)\b|\bincomplete\b|\bre-?opened\b|\bin progress\b|\bpartial(ly)?\b|\bTODO\b)`)
	upperRE    = regexp.MustCompile(`\b(COMPLETE|COMPLETED|FIXED|DONE|RESOLVED)\b`)
	statusRE   = regexp.MustCompile(`(?i)(\bstatus\s*:?\s*|\bis\s+(now\s+)?|\bmarked\s+|\(\s*)(complete|completed|fixed|done|resolved)\b`)
	cellRE     = regexp.MustCompile(`(?i)^\s*(\[x\]\s*)?(complete|completed|fixed|done|resolved|verified)\s*$`)
	coverageRE = regexp.MustCompile(`(?i)\b(applied|used|wired|enforced|unified)\b[^.;]{0,80}?\b(consistently|everywhere|across|into|throughout)\b`)
	verifyRE   = regexp.MustCompile(`<!--\s*verify:\s*(.*?)\s*-->`)
	idRE       = regexp.MustCompile(`[A-Z][A-Z0-9]{0,7}-\d{1,6}`)
)

// notIDs are prefixes of things that look like item ids but are not.
var notIDs = map[string]bool{"SHA": true, "UTF": true, "ISO": true, "RFC": true, "TLS": true, "SCRAM": true, "HTTP": true, "AES": true, "CVE": false, "X": true, "P": true, "GPT": true, "IPV": true, "TCP": true}

// IDs returns the item ids in s (M-413), not the inside of longer tokens (SCRAM-SHA-256).
func IDs(s string) []string {
	var out []string
	for _, m := range idRE.FindAllStringIndex(s, -1) {
		if m[0] > 0 {
			c := s[m[0]-1]
			if c == '-' || c == '_' || c == '.' || c == '/' || isWord(c) {
				continue
			}
		}
		if m[1] < len(s) {
			c := s[m[1]]
			if c == '-' || c == '_' || c == '.' && m[1]+1 < len(s) && isWord(s[m[1]+1]) || isWord(c) {
				continue
			}
		}
		id := s[m[0]:m[1]]
		prefix, _, _ := strings.Cut(id, "-")
		if notIDs[prefix] {
			continue
		}
		out = append(out, id)
	}
	return out
}

func isWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// marker returns how text marks an item complete ("" if it does not).
func marker(text string) string {
	if negRE.MatchString(text) {
		return ""
	}
	if strings.Contains(text, "✅") || strings.Contains(text, "✔") {
		return "complete"
	}
	if m := upperRE.FindString(text); m != "" {
		return normalise(m)
	}
	if m := statusRE.FindStringSubmatch(text); m != nil {
		return normalise(m[3])
	}
	return ""
}

func normalise(w string) string {
	switch strings.ToLower(w) {
	case "completed", "complete":
		return "complete"
	case "resolved", "fixed":
		return "fixed"
	}
	return strings.ToLower(w)
}

// Parse finds the claims of one Markdown document: checked task items, headings, list
// items and table rows marked ✅/COMPLETE/FIXED/DONE, and coverage sentences ("applied
// consistently across ...") next to an item id, each with its inline verify comments.
func Parse(file string, src []byte) []*Parsed {
	if mdtext.Binary(src) {
		return nil
	}
	d := mdtext.Parse(src)
	var out []*Parsed
	var sectionIDs []string
	sectionMarker := "" // "## ✅ Done": the items listed below are claimed
	sectionLevel := 0
	add := func(ids []string, line int, claimed, text string) {
		for _, id := range ids {
			out = append(out, &Parsed{ID: id, File: file, Line: line, Claimed: claimed, Text: clip(text)})
		}
	}
	_ = ast.Walk(d.Root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.Kind() {
		case ast.KindHeading:
			text := d.InlineText(n)
			sectionIDs = IDs(text)
			level := n.(*ast.Heading).Level
			m := marker(text)
			if m != "" {
				add(sectionIDs, d.NodeLine(n), m, text)
			}
			switch {
			case m != "" && len(sectionIDs) == 0:
				sectionMarker, sectionLevel = m, level
			case sectionMarker != "" && level <= sectionLevel:
				sectionMarker = "" // the next section at the same level ends it
			}
			return ast.WalkSkipChildren, nil
		case ast.KindListItem:
			text := d.InlineText(n)
			ids := IDs(text)
			m := marker(text)
			if checked(n) && !negRE.MatchString(text) {
				m = "complete"
			}
			if m == "" && coverageRE.MatchString(text) && len(ids) > 0 {
				m = "coverage"
			}
			if m == "" && sectionMarker != "" && !uncheckedBox(n) && !negRE.MatchString(text) {
				m = sectionMarker
			}
			if m != "" {
				add(ids, d.NodeLine(n), m, text)
			}
			// nested lists are visited on their own
			return ast.WalkContinue, nil
		case east.KindTableRow:
			var cells []string
			m := ""
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				t := d.InlineText(c)
				cells = append(cells, t)
				if cellRE.MatchString(t) && m == "" {
					m = normalise(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "[x]")))
				}
			}
			text := strings.Join(cells, " | ")
			if negRE.MatchString(text) {
				m = ""
			} else if mm := marker(text); m == "" {
				m = mm
			}
			if m == "" && coverageRE.MatchString(text) {
				m = "coverage"
			}
			if m != "" {
				add(IDs(text), d.NodeLine(n), m, text)
			}
			return ast.WalkSkipChildren, nil
		case ast.KindParagraph:
			if p := n.Parent(); p != nil && p.Kind() == ast.KindListItem {
				return ast.WalkSkipChildren, nil
			}
			text := d.InlineText(n)
			ids := IDs(text)
			m := marker(text)
			if len(ids) == 0 && m != "" {
				// "**Status:** ✅ COMPLETE" under "## M-413 ...": the section's item
				ids = sectionIDs
			}
			if m == "" && coverageRE.MatchString(text) && !negRE.MatchString(text) {
				m = "coverage"
				if len(ids) == 0 {
					ids = sectionIDs
				}
			}
			if m != "" {
				add(ids, d.NodeLine(n), m, text)
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	bindVerify(d, out)
	return dedupe(out)
}

// checked reports whether a list item starts with a checked GFM task box.
func checked(item ast.Node) bool {
	first := item.FirstChild()
	if first == nil {
		return false
	}
	if cb, ok := first.FirstChild().(*east.TaskCheckBox); ok {
		return cb.IsChecked
	}
	return false
}

// uncheckedBox reports whether a list item starts with an unchecked task box.
func uncheckedBox(item ast.Node) bool {
	if first := item.FirstChild(); first != nil {
		if cb, ok := first.FirstChild().(*east.TaskCheckBox); ok {
			return !cb.IsChecked
		}
	}
	return false
}

// bindVerify attaches <!-- verify: RULE ... --> comments to the claims on the same line
// or the line above; a comment naming an id applies to that id's claims in the document.
func bindVerify(d *mdtext.Doc, ps []*Parsed) {
	for line := 1; line <= d.LineCount(); line++ {
		text := d.LineText(line)
		if !strings.Contains(text, "<!--") {
			continue
		}
		for _, m := range verifyRE.FindAllStringSubmatch(text, -1) {
			var rules, ids []string
			for _, f := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
				if len(IDs(f)) == 1 && IDs(f)[0] == f {
					ids = append(ids, f)
				} else {
					rules = append(rules, f)
				}
			}
			bound := false
			for _, p := range ps {
				if len(ids) > 0 && contains(ids, p.ID) || len(ids) == 0 && p.Line == line {
					p.Verify = append(p.Verify, rules...)
					bound = true
				}
			}
			if !bound && len(ids) == 0 {
				for _, p := range ps {
					if p.Line == line-1 {
						p.Verify = append(p.Verify, rules...)
					}
				}
			}
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// dedupe keeps one claim per id and document (the first), the others as More lines.
func dedupe(ps []*Parsed) []*Parsed {
	first := map[string]*Parsed{}
	var out []*Parsed
	for _, p := range ps {
		if f := first[p.ID]; f != nil {
			if p.Line != f.Line {
				f.More = append(f.More, p.Line)
			}
			f.Verify = append(f.Verify, p.Verify...)
			continue
		}
		first[p.ID] = p
		out = append(out, p)
	}
	return out
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:197]) + "..."
	}
	return s
}
