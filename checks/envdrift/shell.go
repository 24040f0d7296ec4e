package envdrift

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/streamaudit/streamaudit/checks"
)

// extractShell lists the variables a shell script exports (export, declare -x, set -a),
// passes to a command (VAR=x cmd) and expands from the environment ($VAR, ${VAR:-x});
// variables the script assigns itself without exporting are its own and not listed. A
// syntax error is returned with file:line next to what could be read before it.
func extractShell(file string, src []byte) ([]*Mention, error) {
	p := syntax.NewParser(syntax.KeepComments(false), syntax.Variant(syntax.LangBash), syntax.RecoverErrors(5))
	f, err := p.Parse(bytes.NewReader(src), file)
	if err != nil {
		err = fmt.Errorf("%s:%w", file, trimShellErr(err, file))
	}
	if f == nil {
		return nil, err
	}
	locals := map[string]bool{}
	exported := map[string]bool{}
	allexport := false
	var out []*Mention
	at := func(pos syntax.Pos) checks.Location {
		return checks.Location{File: file, Line: int(pos.Line()), Column: int(pos.Col())}
	}
	// First pass: which names does the script assign (its own variables)?
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.CallExpr:
			if len(n.Args) == 0 {
				for _, a := range n.Assigns {
					if a.Name != nil {
						locals[a.Name.Value] = true
					}
				}
			}
		case *syntax.DeclClause:
			v := n.Variant.Value
			for _, a := range n.Args {
				if a.Name == nil {
					continue
				}
				if v == "export" || v == "declare" && declExports(n) {
					exported[a.Name.Value] = true
				} else {
					locals[a.Name.Value] = true
				}
			}
		case *syntax.ForClause:
			if wi, ok := n.Loop.(*syntax.WordIter); ok && wi.Name != nil {
				locals[wi.Name.Value] = true
			}
		}
		return true
	})
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.CallExpr:
			if len(n.Args) > 0 {
				cmd := n.Args[0].Lit()
				if cmd == "set" && len(n.Args) > 1 {
					switch n.Args[1].Lit() {
					case "-a", "-o":
						if n.Args[1].Lit() == "-a" || len(n.Args) > 2 && n.Args[2].Lit() == "allexport" {
							allexport = true
						}
					case "+a":
						allexport = false
					}
				}
				var w *Workload
				if len(n.Assigns) > 0 {
					w = &Workload{Kind: KindScript, Name: cmd, Loc: at(n.Pos()), Hints: []string{path.Base(cmd)}}
					for _, a := range n.Args[1:] {
						if l := a.Lit(); l != "" {
							w.Hints = append(w.Hints, l)
						}
					}
				}
				for _, a := range n.Assigns {
					if a.Name == nil {
						continue
					}
					m := &Mention{Name: a.Name.Value, Loc: at(a.Pos()), Kind: KindScript, Set: true, Workload: w, Value: wordLit(a.Value)}
					w.Env = append(w.Env, m)
					out = append(out, m)
				}
				if cmd == "env" {
					out = append(out, envCommand(n, at)...)
				}
			} else if allexport || anyExported(n.Assigns, exported) {
				for _, a := range n.Assigns {
					if a.Name != nil && (allexport || exported[a.Name.Value]) {
						out = append(out, &Mention{Name: a.Name.Value, Loc: at(a.Pos()), Kind: KindScript, Set: true, Value: wordLit(a.Value)})
					}
				}
			}
		case *syntax.DeclClause:
			v := n.Variant.Value
			if v == "export" || v == "declare" && declExports(n) {
				for _, a := range n.Args {
					if a.Name != nil {
						out = append(out, &Mention{Name: a.Name.Value, Loc: at(a.Pos()), Kind: KindScript, Set: true, Value: wordLit(a.Value)})
					}
				}
			}
		case *syntax.ParamExp:
			if n.Param == nil {
				return true
			}
			name := n.Param.Value
			if !validEnvName(name) || strings.ToUpper(name) != name || locals[name] && !exported[name] {
				return true
			}
			out = append(out, &Mention{Name: name, Loc: at(n.Pos()), Kind: KindScript, Consumed: !exported[name]})
		}
		return true
	})
	return out, err
}

// envCommand reads `env [-i] NAME=value ... cmd args`: the assignments are set for cmd.
func envCommand(n *syntax.CallExpr, at func(syntax.Pos) checks.Location) []*Mention {
	var sets []*syntax.Word
	i := 1
	for ; i < len(n.Args); i++ {
		l := n.Args[i].Lit()
		if strings.HasPrefix(l, "-") {
			continue
		}
		name, _, ok := strings.Cut(l, "=")
		if !ok || !validEnvName(name) {
			break
		}
		sets = append(sets, n.Args[i])
	}
	if i >= len(n.Args) || len(sets) == 0 {
		return nil
	}
	cmd := n.Args[i].Lit()
	w := &Workload{Kind: KindScript, Name: cmd, Loc: at(n.Args[i].Pos()), Hints: []string{path.Base(cmd)}}
	for _, a := range n.Args[i+1:] {
		if l := a.Lit(); l != "" {
			w.Hints = append(w.Hints, l)
		}
	}
	var out []*Mention
	for _, s := range sets {
		name, val, _ := strings.Cut(s.Lit(), "=")
		m := &Mention{Name: name, Loc: at(s.Pos()), Kind: KindScript, Set: true, Workload: w, Value: val}
		w.Env = append(w.Env, m)
		out = append(out, m)
	}
	return out
}

func anyExported(as []*syntax.Assign, exported map[string]bool) bool {
	for _, a := range as {
		if a.Name != nil && exported[a.Name.Value] {
			return true
		}
	}
	return false
}

// declExports reports whether a declare/typeset clause has -x.
func declExports(d *syntax.DeclClause) bool {
	for _, a := range d.Args {
		if a.Naked && a.Name == nil && a.Value != nil {
			if l := a.Value.Lit(); strings.HasPrefix(l, "-") && strings.Contains(l, "x") {
				return true
			}
		}
	}
	return false
}

func wordLit(w *syntax.Word) string {
	if w == nil {
		return ""
	}
	if l := w.Lit(); l != "" {
		return l
	}
	var b strings.Builder
	syntax.NewPrinter().Print(&b, w)
	return b.String()
}

func trimShellErr(err error, file string) error {
	msg := strings.TrimPrefix(err.Error(), file+":")
	return fmt.Errorf("%s", msg)
}
