package claims

import (
	"bytes"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("- [x] M-413 ✅ COMPLETE <!-- verify: kafka-security -->\n"))
	f.Add([]byte("| Item | Status |\n|---|---|\n| M-1 | Done |\n"))
	f.Add([]byte("## M-2 (FIXED)\n\napplied consistently across clients\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		lines := bytes.Count(src, []byte("\n")) + 1
		for _, p := range Parse("f.md", src) {
			if p.Line < 1 || p.Line > lines || len(IDs(p.ID)) != 1 {
				t.Fatalf("claim %+v in a %d-line input", p, lines)
			}
		}
	})
}
