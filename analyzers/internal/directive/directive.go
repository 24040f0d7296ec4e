// Package directive reads streamaudit's comment directives: `//streamaudit:kafka-security`
// on a function declaration (a security provider) and `//streamaudit:ignore RULE reason`
// on or above a line (suppresses one finding of RULE; the reason is required).
package directive

import (
	"go/ast"
	"go/token"
	"strings"

	"golang.org/x/tools/go/analysis"
)

const (
	// KafkaSecurity marks a function as a Kafka security provider.
	KafkaSecurity = "//streamaudit:kafka-security"
	ignorePrefix  = "//streamaudit:ignore"
)

// IsSecurityProvider reports whether fd carries the kafka-security directive in its doc
// comment.
func IsSecurityProvider(fd *ast.FuncDecl) bool {
	if fd == nil || fd.Doc == nil {
		return false
	}
	for _, c := range fd.Doc.List {
		if strings.TrimSpace(c.Text) == KafkaSecurity {
			return true
		}
	}
	return false
}

// Ignore is one parsed ignore directive.
type Ignore struct {
	Rule   string
	Reason string
	Line   int
}

// Ignores returns the ignore directives of file by line. Directives without a reason are
// returned with an empty Reason (they suppress nothing).
func Ignores(fset *token.FileSet, file *ast.File) map[int][]Ignore {
	out := map[int][]Ignore{}
	for _, cg := range file.Comments {
		for _, c := range cg.List {
			ig, ok := Parse(c.Text)
			if !ok {
				continue
			}
			ig.Line = fset.Position(c.Slash).Line
			out[ig.Line] = append(out[ig.Line], ig)
		}
	}
	return out
}

// Parse parses one comment's text as an ignore directive.
func Parse(text string) (Ignore, bool) {
	if !strings.HasPrefix(text, ignorePrefix) {
		return Ignore{}, false
	}
	rest := strings.TrimPrefix(text, ignorePrefix)
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return Ignore{}, false
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return Ignore{}, false
	}
	return Ignore{Rule: f[0], Reason: strings.Join(f[1:], " ")}, true
}

// Reporter reports diagnostics of one rule for one pass, dropping those an ignore
// directive with a reason suppresses when Honor is set (kafkavet, golangci-lint, nogo);
// verify reports everything and applies suppressions centrally.
type Reporter struct {
	Pass  *analysis.Pass
	Rule  string
	Honor bool
	files map[*token.File]map[int][]Ignore
}

// Report reports d unless it is suppressed.
func (r *Reporter) Report(d analysis.Diagnostic) {
	if r.Honor && r.suppressed(d.Pos) {
		return
	}
	r.Pass.Report(d)
}

func (r *Reporter) suppressed(pos token.Pos) bool {
	tf := r.Pass.Fset.File(pos)
	if tf == nil {
		return false
	}
	if r.files == nil {
		r.files = map[*token.File]map[int][]Ignore{}
	}
	idx, ok := r.files[tf]
	if !ok {
		for _, f := range r.Pass.Files {
			if r.Pass.Fset.File(f.FileStart) == tf {
				idx = Ignores(r.Pass.Fset, f)
				break
			}
		}
		r.files[tf] = idx
	}
	line := tf.Line(pos)
	for _, l := range []int{line, line - 1} {
		for _, ig := range idx[l] {
			if ig.Rule == r.Rule && ig.Reason != "" {
				return true
			}
		}
	}
	return false
}
