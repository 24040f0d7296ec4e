package soak

import (
	"math"
	"testing"
)

func TestLeastSquares(t *testing.T) {
	pts := []Point{{0, 1}, {1, 3}, {2, 5}, {3, 7}}
	f := LeastSquares(pts)
	if math.Abs(f.Slope-2) > 1e-9 || math.Abs(f.Intercept-1) > 1e-9 || f.N != 4 {
		t.Fatalf("fit of V=1+2T: got %+v", f)
	}
	if f := LeastSquares([]Point{{5, 9}}); f.Slope != 0 || f.Intercept != 9 {
		t.Fatalf("single point: got %+v", f)
	}
	if f := LeastSquares([]Point{{1, 2}, {1, 4}}); f.Slope != 0 || f.Intercept != 3 {
		t.Fatalf("same time twice: got %+v", f)
	}
}

func TestWindowMinFollowsTheFloorOfASawtooth(t *testing.T) {
	// A GC sawtooth: 10 MiB floor rising 1 KiB/s, 30 MiB amplitude, period 4 s.
	var pts []Point
	for i := 0; i < 120; i++ {
		floor := 10*float64(1<<20) + float64(i)*1024
		pts = append(pts, Point{T: float64(i), V: floor + float64(i%4)*10*float64(1<<20)})
	}
	raw := LeastSquares(pts)
	w := WindowMin(pts, 8)
	f := LeastSquares(w)
	if math.Abs(f.Slope-1024) > 64 {
		t.Fatalf("window-min slope %.0f B/s, want about 1024 (raw fit %.0f)", f.Slope, raw.Slope)
	}
	if len(w) != 14 {
		t.Fatalf("119 s in windows of at least 8 s: got %d windows, want 14", len(w))
	}
}

func TestAfterAndPeak(t *testing.T) {
	pts := []Point{{0, 5}, {1, 9}, {2, 3}, {3, 4}}
	if got := After(pts, 1.5); len(got) != 2 || got[0].T != 2 {
		t.Fatalf("After(1.5) = %v", got)
	}
	if Peak(pts) != 9 || Peak(nil) != 0 {
		t.Fatalf("Peak = %v", Peak(pts))
	}
}
