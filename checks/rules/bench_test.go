package rules

import (
	"os"
	"testing"
)

// BenchmarkLoadCorpus loads every rule-like file of the shared corpus (about 140 files,
// 3,800 expressions) per iteration.
func BenchmarkLoadCorpus(b *testing.B) {
	t := &testing.T{}
	dir := "/work/shared/corpora"
	if d := os.Getenv("STREAMAUDIT_CORPORA"); d != "" {
		dir = d
	}
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("corpora not available: %v", err)
	}
	files := corpusFiles(t, dir, ".yml", ".yaml", ".rules")
	var data [][]byte
	size := 0
	for _, p := range files {
		d, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		data = append(data, d)
		size += len(d)
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	for b.Loop() {
		for i, d := range data {
			Load(files[i], d)
		}
	}
}
