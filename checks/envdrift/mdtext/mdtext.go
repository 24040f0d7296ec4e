// Package mdtext parses Markdown (goldmark with GFM: tables, task lists) once and maps
// node offsets to 1-based line numbers; envdrift and claims read documents through it.
package mdtext

import (
	"bytes"
	"sort"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// Doc is one parsed Markdown document.
type Doc struct {
	Src   []byte
	Root  ast.Node
	lines []int // byte offset of each line start
}

var md = goldmark.New(goldmark.WithExtensions(extension.GFM))

// Parse parses src. It never fails: goldmark accepts any input.
func Parse(src []byte) *Doc {
	d := &Doc{Src: src, lines: []int{0}}
	for i, b := range src {
		if b == '\n' {
			d.lines = append(d.lines, i+1)
		}
	}
	d.Root = md.Parser().Parse(text.NewReader(src))
	return d
}

// Binary reports whether data looks binary (a NUL byte in its first 8000 bytes, as git
// decides); such files are not documents.
func Binary(data []byte) bool {
	if len(data) > 8000 {
		data = data[:8000]
	}
	return bytes.IndexByte(data, 0) >= 0
}

// Line returns the 1-based line of a byte offset.
func (d *Doc) Line(off int) int {
	return sort.Search(len(d.lines), func(i int) bool { return d.lines[i] > off })
}

// LineCount is the number of lines.
func (d *Doc) LineCount() int { return len(d.lines) }

// LineText returns the text of 1-based line n without its newline.
func (d *Doc) LineText(n int) string {
	if n < 1 || n > len(d.lines) {
		return ""
	}
	start := d.lines[n-1]
	end := len(d.Src)
	if n < len(d.lines) {
		end = d.lines[n] - 1
	}
	if end < start {
		return ""
	}
	return strings.TrimSuffix(string(d.Src[start:end]), "\r")
}

// Start returns the first byte offset of a node (its first line, or its first inline
// descendant's segment), or -1.
func (d *Doc) Start(n ast.Node) int {
	if n.Type() == ast.TypeBlock {
		if l := n.Lines(); l != nil && l.Len() > 0 {
			return l.At(0).Start
		}
	}
	switch t := n.(type) {
	case *ast.Text:
		return t.Segment.Start
	case *ast.String:
		return -1
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if s := d.Start(c); s >= 0 {
			return s
		}
	}
	if p := n.Pos(); p >= 0 {
		return p
	}
	return -1
}

// NodeLine is the 1-based first line of a node (0 if unknown).
func (d *Doc) NodeLine(n ast.Node) int {
	s := d.Start(n)
	if s < 0 {
		return 0
	}
	return d.Line(s)
}

// InlineText concatenates the text of n's inline descendants (code spans included,
// nested blocks such as sub-lists excluded when n is a list item).
func (d *Doc) InlineText(n ast.Node) string {
	var b strings.Builder
	d.inline(&b, n, true)
	return b.String()
}

func (d *Doc) inline(b *strings.Builder, n ast.Node, top bool) {
	switch t := n.(type) {
	case *ast.Text:
		b.Write(t.Segment.Value(d.Src))
		if t.SoftLineBreak() || t.HardLineBreak() {
			b.WriteByte(' ')
		}
		return
	case *ast.String:
		b.Write(t.Value)
		return
	case *ast.RawHTML:
		for i := 0; i < t.Segments.Len(); i++ {
			s := t.Segments.At(i)
			b.Write(s.Value(d.Src))
		}
		return
	case *ast.List:
		if !top {
			return
		}
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if c.Kind() == ast.KindList && !top {
			continue
		}
		d.inline(b, c, false)
		if c.Type() == ast.TypeBlock {
			b.WriteByte(' ')
		}
	}
}

// BlockText returns the raw lines of a block node (code blocks, HTML blocks) and the
// 1-based line of its first line.
func (d *Doc) BlockText(n ast.Node) (string, int) {
	l := n.Lines()
	if l == nil || l.Len() == 0 {
		return "", 0
	}
	var b strings.Builder
	for i := 0; i < l.Len(); i++ {
		s := l.At(i)
		b.Write(s.Value(d.Src))
	}
	return b.String(), d.Line(l.At(0).Start)
}
