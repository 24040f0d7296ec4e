package lint

import (
	"go/token"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/packages"

	"github.com/streamaudit/streamaudit/checks"
)

// sources caches file contents read through the workspace (never outside the root).
type sources struct {
	ws    *checks.Workspace
	files map[string][]byte
}

func newSources(ws *checks.Workspace) *sources {
	return &sources{ws: ws, files: map[string][]byte{}}
}

func (s *sources) get(rel string) []byte {
	if b, ok := s.files[rel]; ok {
		return b
	}
	b, err := s.ws.ReadFile(rel)
	if err != nil {
		b = nil
	}
	s.files[rel] = b
	return b
}

const maxEvidence = 300

// span returns the source text between two positions, whitespace-folded and capped; the
// start line when the span is empty.
func (s *sources) span(rel string, start, end token.Position) string {
	b := s.get(rel)
	if b == nil || start.Offset > len(b) {
		return ""
	}
	from, to := start.Offset, end.Offset
	if to <= from || to > len(b) {
		to = from
		for to < len(b) && b[to] != '\n' {
			to++
		}
	}
	return fold(string(b[from:to]))
}

func fold(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "( ", "(")
	s = strings.ReplaceAll(s, ", )", ")")
	if len(s) > maxEvidence {
		s = s[:maxEvidence] + "…"
	}
	return s
}

// fix renders a suggested fix as its message and the span's text after the edits.
func (s *sources) fix(rel string, start, end token.Position, fset *token.FileSet, sf analysis.SuggestedFix) string {
	b := s.get(rel)
	if b == nil || len(sf.TextEdits) == 0 || end.Offset <= start.Offset || end.Offset > len(b) {
		return sf.Message
	}
	edits := append([]analysis.TextEdit(nil), sf.TextEdits...)
	sort.Slice(edits, func(i, j int) bool { return edits[i].Pos < edits[j].Pos })
	var out strings.Builder
	at := start.Offset
	for _, e := range edits {
		p, q := fset.Position(e.Pos).Offset, fset.Position(e.End).Offset
		if e.End == token.NoPos {
			q = p
		}
		if p < at || q > end.Offset || q < p {
			return sf.Message
		}
		out.Write(b[at:p])
		out.Write(e.NewText)
		at = q
	}
	out.Write(b[at:end.Offset])
	return sf.Message + ": " + fold(out.String())
}

// binaries maps packages to the main packages whose import closure contains them.
type binaries struct {
	byPkg map[string][]string
}

func newBinaries(ws *checks.Workspace, pkgs []*packages.Package) *binaries {
	b := &binaries{byPkg: map[string][]string{}}
	for _, p := range pkgs {
		if p.Name != "main" || !ws.Owns(p) || len(p.GoFiles) == 0 {
			continue
		}
		name := "./" + ws.Rel(filepath.Dir(p.GoFiles[0]))
		if name == "./." {
			name = "."
		}
		seen := map[string]bool{}
		var visit func(*packages.Package)
		visit = func(q *packages.Package) {
			if seen[q.PkgPath] {
				return
			}
			seen[q.PkgPath] = true
			b.byPkg[q.PkgPath] = append(b.byPkg[q.PkgPath], name)
			for _, imp := range q.Imports {
				visit(imp)
			}
		}
		visit(p)
	}
	for k := range b.byPkg {
		sort.Strings(b.byPkg[k])
	}
	return b
}

func (b *binaries) of(pkgPath string) []string { return b.byPkg[pkgPath] }
