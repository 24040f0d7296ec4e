package mdtext

import (
	"strings"
	"testing"

	"github.com/yuin/goldmark/ast"
)

func TestLinesAndText(t *testing.T) {
	src := []byte("# Title `X_Y`\n\n- item one\n  - nested\n\npara\r\nnext\n")
	d := Parse(src)
	for off, want := range map[int]int{0: 1, 14: 2, 15: 3, len(src) - 1: 7} {
		if got := d.Line(off); got != want {
			t.Errorf("Line(%d) = %d, want %d", off, got, want)
		}
	}
	if got := d.LineText(6); got != "para" {
		t.Errorf("LineText(6) = %q (CR must be trimmed)", got)
	}
	if d.LineText(0) != "" || d.LineText(99) != "" {
		t.Error("out-of-range lines must be empty")
	}
	var heading, item ast.Node
	_ = ast.Walk(d.Root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering && n.Kind() == ast.KindHeading && heading == nil {
			heading = n
		}
		if entering && n.Kind() == ast.KindListItem && item == nil {
			item = n
		}
		return ast.WalkContinue, nil
	})
	if got := d.InlineText(heading); got != "Title X_Y" {
		t.Errorf("heading text %q", got)
	}
	if got := d.NodeLine(item); got != 3 {
		t.Errorf("item line %d", got)
	}
	if got := strings.TrimSpace(d.InlineText(item)); got != "item one" {
		t.Errorf("item text %q: nested lists must be left out", got)
	}
}

func TestBinary(t *testing.T) {
	if !Binary([]byte("abc\x00def")) || Binary([]byte("plain text")) {
		t.Error("Binary misclassifies")
	}
	big := make([]byte, 9000)
	for i := range big {
		big[i] = 'a'
	}
	big[8500] = 0
	if Binary(big) {
		t.Error("only the first 8000 bytes decide, as git does")
	}
}
