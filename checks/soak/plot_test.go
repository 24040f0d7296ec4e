package soak

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestPlotLinesWritesAPNG(t *testing.T) {
	file := filepath.Join(t.TempDir(), "mem.png")
	lines := []Line{{Name: "m1 rss", Points: ramp(30, 40<<20, 1<<20)}, {Name: "m1 heap_inuse", Points: ramp(30, 10<<20, 0)}, {Name: "empty"}}
	if err := PlotLines(file, "memory", "MiB", lines, []Marker{{T: 10, Label: "m2 joins"}}, 1<<20, 192); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG")) || len(b) < 5000 {
		t.Fatalf("not a plausible PNG: %d bytes", len(b))
	}
}
