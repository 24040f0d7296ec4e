package soak

import (
	"math"
	"sort"
)

// Point is one sample: T seconds since the scenario started, V the value.
type Point struct {
	T float64 `json:"t"`
	V float64 `json:"v"`
}

// Fit is a least-squares line V = Intercept + Slope*T.
type Fit struct {
	Slope     float64 `json:"slope"`
	Intercept float64 `json:"intercept"`
	N         int     `json:"n"`
}

// LeastSquares fits a line through pts. With fewer than two distinct times it returns a
// zero slope and N as counted.
func LeastSquares(pts []Point) Fit {
	n := float64(len(pts))
	if len(pts) < 2 {
		f := Fit{N: len(pts)}
		if len(pts) == 1 {
			f.Intercept = pts[0].V
		}
		return f
	}
	var st, sv float64
	for _, p := range pts {
		st += p.T
		sv += p.V
	}
	mt, mv := st/n, sv/n
	var num, den float64
	for _, p := range pts {
		num += (p.T - mt) * (p.V - mv)
		den += (p.T - mt) * (p.T - mt)
	}
	if den == 0 {
		return Fit{Intercept: mv, N: len(pts)}
	}
	s := num / den
	return Fit{Slope: s, Intercept: mv - s*mt, N: len(pts)}
}

// After returns the points with T >= t0.
func After(pts []Point, t0 float64) []Point {
	i := sort.Search(len(pts), func(i int) bool { return pts[i].T >= t0 })
	return pts[i:]
}

// WindowMin splits the span of pts into equal windows at least w seconds wide and reduces
// each window to its minimum, placed at the time of that minimum. A Go heap is a sawtooth
// between collections; its floor per window is the live heap, which is what grows when
// something retains memory.
func WindowMin(pts []Point, w float64) []Point {
	if w <= 0 || len(pts) < 2 {
		return pts
	}
	t0, span := pts[0].T, pts[len(pts)-1].T-pts[0].T
	n := int(span / w)
	if n < 1 {
		n = 1
	}
	width := span / float64(n)
	out := make([]Point, 0, n)
	cur, idx := pts[0], 0
	for _, p := range pts[1:] {
		i := min(n-1, int((p.T-t0)/width))
		if i != idx {
			out = append(out, cur)
			cur, idx = p, i
			continue
		}
		if p.V < cur.V {
			cur = p
		}
	}
	return append(out, cur)
}

// Peak returns the largest value in pts (0 for none).
func Peak(pts []Point) float64 {
	m := 0.0
	for _, p := range pts {
		m = math.Max(m, p.V)
	}
	return m
}
