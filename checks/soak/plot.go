package soak

import (
	"fmt"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Line is one named series of a plot.
type Line struct {
	Name   string  `json:"name"`
	Points []Point `json:"points"`
}

// Marker is a vertical line at time T (a rebalance, a fault).
type Marker struct {
	T     float64 `json:"t"`
	Label string  `json:"label"`
}

// PlotLines writes a PNG of lines over time to file. yScale divides values (e.g. 1<<20 for
// MiB); hline, when positive, draws a dashed horizontal bound in the same scaled unit.
func PlotLines(file, title, yLabel string, lines []Line, markers []Marker, yScale, hline float64) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "seconds since start"
	p.Y.Label.Text = yLabel
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true
	if yScale == 0 {
		yScale = 1
	}
	sorted := append([]Line(nil), lines...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	maxY, maxX := 0.0, 0.0
	for i, l := range sorted {
		if len(l.Points) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(l.Points))
		for k, pt := range l.Points {
			xys[k].X, xys[k].Y = pt.T, pt.V/yScale
			maxY = max(maxY, xys[k].Y)
			maxX = max(maxX, pt.T)
		}
		ln, err := plotter.NewLine(xys)
		if err != nil {
			return fmt.Errorf("plot %s, line %s: %w", title, l.Name, err)
		}
		ln.Color = plotutil.Color(i)
		ln.Dashes = plotutil.Dashes(i / 7)
		ln.Width = vg.Points(1.5)
		p.Add(ln)
		p.Legend.Add(l.Name, ln)
	}
	if hline > 0 {
		maxY = max(maxY, hline)
		b, err := plotter.NewLine(plotter.XYs{{X: 0, Y: hline}, {X: max(maxX, 1), Y: hline}})
		if err != nil {
			return err
		}
		b.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		b.Width = vg.Points(1)
		p.Add(b)
		p.Legend.Add("bound", b)
	}
	for _, m := range markers {
		v, err := plotter.NewLine(plotter.XYs{{X: m.T, Y: 0}, {X: m.T, Y: max(maxY, 1)}})
		if err != nil {
			return err
		}
		v.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		v.Color = plotutil.Color(6)
		p.Add(v)
		lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: m.T, Y: max(maxY, 1)}}, Labels: []string{m.Label}})
		if err != nil {
			return err
		}
		for i := range lbl.TextStyle {
			lbl.TextStyle[i].Font.Size = vg.Points(8)
			lbl.TextStyle[i].XAlign = draw.XCenter
		}
		p.Add(lbl)
	}
	p.Y.Min = 0
	if maxY > 0 {
		p.Y.Max = maxY * 1.15
	}
	return p.Save(10*vg.Inch, 5*vg.Inch, file)
}
