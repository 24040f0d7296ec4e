package verifycmd

import (
	"bytes"
	"fmt"
	"go/scanner"
	"go/token"
	"strings"

	"github.com/streamaudit/streamaudit/checks"
)

// directiveName is the suppression comment: //streamaudit:ignore RULE reason (also after
// "#" in YAML and shell, and inside <!-- --> in Markdown).
const directiveName = "streamaudit:ignore"

// directive is one //streamaudit:ignore comment.
type directive struct {
	File   string
	Line   int
	Column int
	Rule   string
	Reason string
	// Problem is why the directive is malformed ("" when it is valid).
	Problem string
}

// parseDirectives finds every suppression directive in one file's content. In Go files
// only comments that start with the directive count (go/scanner finds them, so strings
// and prose that quote the directive do not); in Markdown only <!-- comments -->;
// elsewhere a comment marker (#, //) outside quotes must precede it.
func parseDirectives(file string, data []byte) []directive {
	if !bytes.Contains(data, []byte(directiveName)) {
		return nil
	}
	if strings.HasSuffix(file, ".go") {
		return parseGoDirectives(file, data)
	}
	var out []directive
	for i, line := range strings.Split(string(data), "\n") {
		idx := strings.Index(line, directiveName)
		if idx < 0 {
			continue
		}
		before := strings.TrimRight(line[:idx], " \t")
		marker := ""
		markers := []string{"//", "#", "<!--", "/*"}
		if isMarkdown(file) {
			markers = []string{"<!--"} // prose and code samples may quote the directive
		}
		for _, m := range markers {
			if strings.HasSuffix(before, m) {
				marker = m
				break
			}
		}
		if marker == "" {
			continue // the name inside a string or prose, not a comment directive
		}
		if code := strings.TrimSuffix(before, marker); strings.Contains(code, "//") || strings.Contains(code, "#") || strings.Contains(code, "<!--") {
			continue // quoted inside another comment (documentation of the directive)
		}
		code := strings.TrimSuffix(before, marker)
		if isMarkdown(file) {
			if strings.Count(code, "`")%2 == 1 {
				continue // inside a code span (apostrophes in prose are not quotes)
			}
		} else if strings.Count(code, `"`)%2 == 1 || strings.Count(code, "'")%2 == 1 || strings.Count(code, "`")%2 == 1 {
			continue // inside a quoted string
		}
		rest := line[idx+len(directiveName):]
		// The comment ends the directive: a reason never includes the closing marker
		// (| ... <!-- streamaudit:ignore RULE reason --> | in a table row).
		switch marker {
		case "<!--":
			rest, _, _ = strings.Cut(rest, "-->")
		case "/*":
			rest, _, _ = strings.Cut(rest, "*/")
		}
		if d, ok := newDirective(file, i+1, idx+1, rest); ok {
			out = append(out, d)
		}
	}
	return out
}

func isMarkdown(file string) bool {
	return strings.HasSuffix(file, ".md") || strings.HasSuffix(file, ".markdown")
}

func parseGoDirectives(file string, data []byte) []directive {
	fset := token.NewFileSet()
	tf := fset.AddFile(file, -1, len(data))
	var sc scanner.Scanner
	sc.Init(tf, data, func(token.Position, string) {}, scanner.ScanComments)
	var out []directive
	for {
		pos, tok, lit := sc.Scan()
		if tok == token.EOF {
			break
		}
		if tok != token.COMMENT {
			continue
		}
		text := strings.TrimPrefix(strings.TrimPrefix(lit, "//"), "/*")
		text = strings.TrimSuffix(text, "*/")
		trimmed := strings.TrimLeft(text, " \t")
		if !strings.HasPrefix(trimmed, directiveName) {
			continue
		}
		p := fset.Position(pos)
		if d, ok := newDirective(file, p.Line, p.Column, trimmed[len(directiveName):]); ok {
			out = append(out, d)
		}
	}
	return out
}

// newDirective parses what follows "streamaudit:ignore".
func newDirective(file string, line, col int, rest string) (directive, bool) {
	{
		if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
			return directive{}, false // e.g. streamaudit:ignored
		}
		rest = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "-->")), "*/"))
		d := directive{File: file, Line: line, Column: col}
		fields := strings.Fields(rest)
		switch {
		case len(fields) == 0:
			d.Problem = "//streamaudit:ignore needs a rule ID and a reason"
		default:
			d.Rule = fields[0]
			d.Reason = strings.TrimSpace(strings.TrimPrefix(rest, fields[0]))
			if _, ok := checks.LookupRule(d.Rule); !ok {
				d.Problem = fmt.Sprintf("//streamaudit:ignore %s: unknown rule", d.Rule)
			} else if d.Reason == "" {
				d.Problem = fmt.Sprintf("//streamaudit:ignore %s: a reason is required", d.Rule)
			}
		}
		return d, true
	}
}

// suppressor applies directives to findings: a valid directive on a finding's line or on
// the line above suppresses findings of its rule there.
type suppressor struct {
	byFile map[string][]directive
	used   map[*directive]bool
}

func newSuppressor(ds []directive) *suppressor {
	s := &suppressor{byFile: map[string][]directive{}, used: map[*directive]bool{}}
	for _, d := range ds {
		if d.Problem == "" {
			s.byFile[d.File] = append(s.byFile[d.File], d)
		}
	}
	return s
}

// filter returns the findings that stay and the suppressions it applied.
func (s *suppressor) filter(fs []checks.Finding) ([]checks.Finding, []checks.Suppression) {
	var keep []checks.Finding
	var sup []checks.Suppression
	for _, f := range fs {
		if d := s.match(f); d != nil {
			sup = append(sup, checks.Suppression{Finding: f, Reason: d.Reason, File: d.File, Line: d.Line})
			continue
		}
		keep = append(keep, f)
	}
	return keep, sup
}

func (s *suppressor) match(f checks.Finding) *directive {
	if f.Line == 0 {
		return nil
	}
	ds := s.byFile[f.File]
	for i := range ds {
		d := &ds[i]
		if d.Rule != f.Rule {
			continue
		}
		end := f.Line
		if f.EndLine > end {
			end = f.EndLine
		}
		if d.Line == f.Line || d.Line == f.Line-1 || (d.Line > f.Line && d.Line <= end) {
			s.used[d] = true
			return d
		}
	}
	return nil
}

// invalidFindings reports malformed directives.
func invalidFindings(ds []directive) []checks.Finding {
	var out []checks.Finding
	for _, d := range ds {
		if d.Problem == "" {
			continue
		}
		out = append(out, checks.Finding{
			Rule: "suppression-invalid", File: d.File, Line: d.Line, Column: d.Column,
			Message:  d.Problem,
			Evidence: strings.TrimSpace(directiveName + " " + d.Rule + " " + d.Reason),
			Fix:      "write //streamaudit:ignore RULE reason, with a rule ID from docs/CHECKS.md and why the finding does not apply",
		})
	}
	return out
}
