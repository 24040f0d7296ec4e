package envdrift

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"
	"time"
)

// bigMarkdown builds about size bytes of a realistic document: headings, prose, a table
// and a fenced block per section, each section naming two variables.
func bigMarkdown(size int) ([]byte, int) {
	var b bytes.Buffer
	n := 0
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "## Section %d\n\nSome prose about KAFKA_IGNORED_%d and _emphasis_ **bold** [link](http://x).\n\n", i, i)
		fmt.Fprintf(&b, "| Variable | Default |\n|---|---|\n| `VAR_%d` | `x` |\n\n```sh\nexport OTHER_%d=1\n```\n\n", i, i)
		n += 2
	}
	return b.Bytes(), n
}

// TestMarkdownLargeAndBinary: 10 MB of Markdown and binary content are read without a
// panic and every mention is found (speed is measured by BenchmarkMarkdownScaling).
func TestMarkdownLargeAndBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("10 MB document; skipped with -short")
	}
	src, want := bigMarkdown(10 << 20)
	if got := len(extractMarkdown("big.md", src)); got != want {
		t.Errorf("10 MB document: %d mentions, want %d", got, want)
	}
	rng := rand.New(rand.NewSource(1))
	bin := make([]byte, 1<<20)
	rng.Read(bin)
	if ms := extractMarkdown("bin.md", bin); len(ms) != 0 {
		t.Errorf("binary file (with NUL bytes) yielded %d mentions", len(ms))
	}
	// binary-looking text without NUL bytes still goes through the parser
	for i := range bin {
		if bin[i] == 0 {
			bin[i] = '`'
		}
	}
	_ = extractMarkdown("noisy.md", bin)
	// pathological nesting
	_ = extractMarkdown("deep.md", bytes.Repeat([]byte("> - [x] `A_B` "), 50000))
	_ = extractMarkdown("ticks.md", bytes.Repeat([]byte("`"), 1<<20))
}

// BenchmarkMarkdownScaling extracts from 1 MB and 10 MB documents in one run and reports
// the time ratio; linear extraction keeps it near 10 (super-linear would be far above).
func BenchmarkMarkdownScaling(b *testing.B) {
	small, _ := bigMarkdown(1 << 20)
	large, _ := bigMarkdown(10 << 20)
	var ts, tl time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		extractMarkdown("s.md", small)
		t1 := time.Now()
		extractMarkdown("l.md", large)
		ts += t1.Sub(t0)
		tl += time.Since(t1)
	}
	b.ReportMetric(float64(tl)/float64(ts), "ratio-10MB/1MB")
	b.ReportMetric(float64(ts.Nanoseconds())/float64(b.N)/float64(len(small)), "ns/byte-1MB")
	b.ReportMetric(float64(tl.Nanoseconds())/float64(b.N)/float64(len(large)), "ns/byte-10MB")
}

// BenchmarkShell measures the shell extractor on a 1 MB script.
func BenchmarkShell(b *testing.B) {
	var buf bytes.Buffer
	for i := 0; buf.Len() < 1<<20; i++ {
		fmt.Fprintf(&buf, "export A_%d=${B_%d:-x}\nC_%d=1 exporter --x\n", i, i, i)
	}
	b.SetBytes(int64(buf.Len()))
	for i := 0; i < b.N; i++ {
		extractShell("s.sh", buf.Bytes())
	}
}
