package envdrift

import (
	"bytes"
	"testing"
)

// checkMentions asserts what every extractor promises: valid names, lines inside the file.
func checkMentions(t *testing.T, src []byte, ms []*Mention) {
	t.Helper()
	lines := bytes.Count(src, []byte("\n")) + 1
	for _, m := range ms {
		if !validEnvName(m.Name) {
			t.Fatalf("invalid name %q", m.Name)
		}
		if m.Loc.Line < 1 || m.Loc.Line > lines {
			t.Fatalf("%s at line %d of a %d-line input", m.Name, m.Loc.Line, lines)
		}
	}
}

func FuzzMarkdown(f *testing.F) {
	f.Add([]byte("| `KAFKA_TOPIC` | x |\n|---|---|\n"))
	f.Add([]byte("```sh\nexport A_B=1\n```\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		checkMentions(t, src, extractMarkdown("f.md", src))
	})
}

func FuzzShell(f *testing.F) {
	f.Add([]byte("export A_B=${C_D:-x}\nE_F=1 cmd\n"))
	f.Add([]byte("set -a\nA_B=1\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		ms, _ := extractShell("f.sh", src)
		checkMentions(t, src, ms)
	})
}

func FuzzYAML(f *testing.F) {
	f.Add([]byte("services:\n  a:\n    environment:\n      A_B: 1\n"))
	f.Add([]byte("spec:\n  containers:\n    - name: x\n      env:\n        - name: A_B\n          value: '1'\n"))
	f.Add([]byte("env:\n  {{- range $k, $v := .Values.env }}\n  - name: {{ $k }}\n  {{- end }}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		docs, _ := parseYAMLDocs("f.yaml", src)
		ws, refs := extractCompose("f.yaml", docs)
		checkMentions(t, src, refs)
		for _, w := range ws {
			checkMentions(t, src, w.Env)
		}
		for _, w := range extractK8s("f.yaml", docs, nil, nil) {
			checkMentions(t, src, w.Env)
		}
		tdocs, _ := parseYAMLDocs("t.yaml", detemplate(src))
		vals := &valueResolver{file: "f.yaml"}
		if len(docs) > 0 {
			vals.root = docs[0]
		}
		for _, w := range extractK8s("t.yaml", tdocs, vals, nil) {
			for _, m := range w.Env {
				if !validEnvName(m.Name) {
					t.Fatalf("invalid name %q", m.Name)
				}
			}
		}
	})
}
