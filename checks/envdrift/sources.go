package envdrift

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"

	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/checks/envdrift/mdtext"
)

// Source kinds of a Mention.
const (
	KindDoc        = "doc"
	KindScript     = "script"
	KindManifest   = "manifest" // Kubernetes manifest or Helm chart
	KindCompose    = "compose"
	KindDockerfile = "dockerfile"
	KindDotenv     = "dotenv"
)

// Mention is one place outside Go code that names an environment variable.
type Mention struct {
	Name string
	Loc  checks.Location
	Kind string
	// Set is true where the place gives the variable a value for a process (export,
	// VAR=x cmd, a container env entry, ENV); false for mentions and reads ($VAR).
	Set bool
	// Secret is true when the value comes from a Secret reference.
	Secret bool
	// Workload is the container/service the value is set for (manifests, compose).
	Workload *Workload
	// Value is the literal value, when set with one (for evidence).
	Value string
	// Consumed is true for a script's own input: it expands the variable without
	// exporting it or passing it on, so the script is the code that reads it.
	Consumed bool
}

// Workload is one container (Kubernetes, Helm) or service (compose) or image
// (Dockerfile) that runs a binary.
type Workload struct {
	Kind string          // KindManifest, KindCompose, KindDockerfile or KindScript
	Name string          // container/service name
	Loc  checks.Location // where it is declared
	// Hints are strings that name the binary: workload and container names, the image,
	// command and args, the template file name.
	Hints []string
	// Open is true when env can come from an envFrom Secret/ConfigMap reference, so any
	// variable can be set through it.
	Open    bool
	OpenLoc checks.Location
	Env     []*Mention
}

// envNameRE matches what looks like an environment variable in prose code: upper case
// with at least one underscore (PATH alone is too common a word to count).
var envNameRE = regexp.MustCompile(`\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b`)

// codeWordRE matches an upper-case name without underscore written as code: opening a
// code span (`NAME` or `NAME=value`).
var codeWordRE = regexp.MustCompile("`([A-Z][A-Z0-9]{2,})[`=]")

// codeWords lists the underscore-less upper-case names src writes as code.
func codeWords(src []byte) []string {
	var out []string
	for _, m := range codeWordRE.FindAllSubmatch(src, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// envTokens finds env-looking names in s, skipping glob patterns (KAFKA_SASL_*) and
// names followed by "(" (function calls) or preceded by "." or "-".
func envTokens(s string) []tokenAt {
	var out []tokenAt
	for _, m := range envNameRE.FindAllStringIndex(s, -1) {
		if m[1] < len(s) && (s[m[1]] == '*' || s[m[1]] == '(' || s[m[1]] == '_') {
			continue
		}
		if m[0] > 0 && (s[m[0]-1] == '.' || s[m[0]-1] == '-') {
			continue
		}
		if m[1]-m[0] > 80 {
			continue
		}
		out = append(out, tokenAt{name: s[m[0]:m[1]], off: m[0]})
	}
	return out
}

// codeLanguages are fence languages where only quoted names count (in program code an
// upper-case identifier is usually a constant, "NAME" in quotes is a key).
var codeLanguages = map[string]bool{"go": true, "golang": true, "rust": true, "rs": true, "python": true, "py": true,
	"java": true, "kotlin": true, "c": true, "cpp": true, "c++": true, "js": true, "javascript": true, "ts": true, "typescript": true}

func quotedAt(s string, t tokenAt) bool {
	end := t.off + len(t.name)
	return t.off > 0 && end < len(s) && (s[t.off-1] == '"' && s[end] == '"' || s[t.off-1] == '\'' && s[end] == '\'' || s[t.off-1] == '`' && s[end] == '`')
}

type tokenAt struct {
	name string
	off  int
}

// extractMarkdown lists the variables a Markdown document names in code spans, fenced
// and indented code blocks and table cells. Prose outside code is not counted: upper-case
// words there are too often something else.
func extractMarkdown(file string, src []byte) []*Mention {
	if mdtext.Binary(src) || !envNameRE.Match(src) {
		return nil // nothing that looks like a variable: skip parsing
	}
	d := mdtext.Parse(src)
	var out []*Mention
	seen := map[tokenAt]*Mention{}
	assigned := map[string]bool{}
	add := func(t tokenAt, text string, line int) {
		end := t.off + len(t.name)
		if end < len(text) && text[end] == '=' || strings.HasSuffix(text[:t.off], "export ") {
			assigned[t.name] = true
		}
		ref := t.off > 0 && text[t.off-1] == '$' || t.off > 1 && text[t.off-2:t.off] == "${"
		k := tokenAt{name: t.name, off: line}
		if m := seen[k]; m != nil {
			m.Consumed = m.Consumed && ref
			return
		}
		m := &Mention{Name: t.name, Loc: checks.Location{File: file, Line: line}, Kind: KindDoc, Consumed: ref}
		seen[k] = m
		out = append(out, m)
	}
	_ = ast.Walk(d.Root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.Kind() {
		case ast.KindCodeSpan:
			text := d.InlineText(n)
			line := d.NodeLine(n)
			for _, t := range envTokens(text) {
				add(t, text, line)
			}
			return ast.WalkSkipChildren, nil
		case ast.KindFencedCodeBlock, ast.KindCodeBlock:
			quotedOnly := false
			if fb, ok := n.(*ast.FencedCodeBlock); ok {
				quotedOnly = codeLanguages[strings.ToLower(string(fb.Language(d.Src)))]
			}
			l := n.Lines()
			for i := 0; i < l.Len(); i++ {
				seg := l.At(i)
				line := d.Line(seg.Start)
				text := string(seg.Value(d.Src))
				for _, t := range envTokens(text) {
					if quotedOnly && !quotedAt(text, t) {
						continue
					}
					add(t, text, line)
				}
			}
			return ast.WalkSkipChildren, nil
		case east.KindTableCell:
			// plain text in a cell; goldmark splits text at "_", so read the cell whole
			text := d.InlineText(n)
			for _, t := range envTokens(text) {
				add(t, text, d.NodeLine(n))
			}
		}
		return ast.WalkContinue, nil
	})
	// A $NAME reference in a snippet is that snippet's input (like a script's), unless
	// the document also assigns NAME: then it documents a variable to set.
	for _, m := range out {
		if assigned[m.Name] {
			m.Consumed = false
		}
	}
	return out
}

// extractDotenv reads KEY=VALUE lines (optionally "export KEY=VALUE") of a .env file.
func extractDotenv(file string, src []byte) []*Mention {
	var out []*Mention
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		s = strings.TrimPrefix(s, "export ")
		name, val, ok := strings.Cut(s, "=")
		name = strings.TrimSpace(name)
		if !ok || !validEnvName(name) {
			continue
		}
		out = append(out, &Mention{Name: name, Loc: checks.Location{File: file, Line: line}, Kind: KindDotenv, Set: true, Value: strings.Trim(strings.TrimSpace(val), `"'`)})
	}
	return out
}

// extractDockerfile reads ENV and ARG instructions (with line continuations), the $NAME
// references of the other instructions (the build's own input) and the
// ENTRYPOINT/CMD/COPY hints naming the binary. It returns one workload for the image.
func extractDockerfile(file string, src []byte) []*Mention {
	w := &Workload{Kind: KindDockerfile, Name: file, Loc: checks.Location{File: file, Line: 1}, Hints: []string{file}}
	var out []*Mention
	lines := strings.Split(string(src), "\n")
	for i := 0; i < len(lines); i++ {
		start := i + 1
		s := strings.TrimSpace(strings.TrimSuffix(lines[i], "\r"))
		for strings.HasSuffix(s, "\\") && i+1 < len(lines) {
			i++
			s = strings.TrimSuffix(s, "\\") + " " + strings.TrimSpace(lines[i])
		}
		if s == "" || s[0] == '#' {
			continue
		}
		instr, rest, _ := strings.Cut(s, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "ENV":
			for _, kv := range dockerKV(rest) {
				m := &Mention{Name: kv[0], Value: kv[1], Loc: checks.Location{File: file, Line: start}, Kind: KindDockerfile, Set: true, Workload: w}
				w.Env = append(w.Env, m)
				out = append(out, m)
			}
		case "ARG":
			name, _, _ := strings.Cut(rest, "=")
			if validEnvName(name) {
				out = append(out, &Mention{Name: name, Loc: checks.Location{File: file, Line: start}, Kind: KindDockerfile})
			}
		case "ENTRYPOINT", "CMD", "COPY", "FROM":
			w.Hints = append(w.Hints, rest)
		}
		// References: anywhere in most instructions; in ENV and ARG only in the values
		// (ARG BIN_DIR=.build/linux-${TARGETARCH}/ uses TARGETARCH).
		refs := rest
		switch strings.ToUpper(instr) {
		case "ENV":
			var vals []string
			for _, kv := range dockerKV(rest) {
				vals = append(vals, kv[1])
			}
			refs = strings.Join(vals, " ")
		case "ARG":
			_, refs, _ = strings.Cut(rest, "=")
		}
		for _, t := range shellRefRE.FindAllStringSubmatch(refs, -1) {
			name := t[1]
			if name == "" {
				name = t[2]
			}
			if validEnvName(name) {
				// $NAME in RUN, CMD, WORKDIR, ...: the build (or the container's shell)
				// reads it, as a script reads its own input (go build -ldflags "-X
				// main.commit=$COMMIT" consumes ARG COMMIT; no Go code needs to).
				out = append(out, &Mention{Name: name, Loc: checks.Location{File: file, Line: start}, Kind: KindDockerfile, Consumed: true})
			}
		}
	}
	return out
}

var shellRefRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)|\$([A-Za-z_][A-Za-z0-9_]*)`)

// dockerKV splits "K=V K2=V2" or the legacy "K V" form of ENV.
func dockerKV(s string) [][2]string {
	if !strings.Contains(s, "=") {
		name, val, _ := strings.Cut(s, " ")
		if validEnvName(name) {
			return [][2]string{{name, strings.TrimSpace(val)}}
		}
		return nil
	}
	var out [][2]string
	for _, f := range splitQuoted(s) {
		name, val, ok := strings.Cut(f, "=")
		if ok && validEnvName(name) {
			out = append(out, [2]string{name, strings.Trim(val, `"'`)})
		}
	}
	return out
}

// splitQuoted splits on spaces outside double or single quotes.
func splitQuoted(s string) []string {
	var out []string
	var cur strings.Builder
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0 && c == q:
			q = 0
		case q == 0 && (c == '"' || c == '\''):
			q = c
		case q == 0 && c == ' ':
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteByte(c)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
