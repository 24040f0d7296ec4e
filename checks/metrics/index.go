package metrics

import (
	"sort"
	"strings"

	"github.com/streamaudit/streamaudit/checks"
)

// Index answers "does the code export this series name, with which type and labels" over
// an inventory. It knows the series client_golang derives from a family: histogram
// _bucket/_sum/_count, summary _sum/_count, and the OpenMetrics _total/_created forms.
type Index struct {
	byName map[string][]checks.Metric
	// Unresolved counts inventory entries whose name is not known statically.
	Unresolved int
	// Prefixes of unresolved names (the resolved part before the first unknown piece).
	partial []string
}

// NewIndex indexes an inventory.
func NewIndex(ms []checks.Metric) *Index {
	ix := &Index{byName: map[string][]checks.Metric{}}
	for _, m := range ms {
		if !m.Resolved {
			ix.Unresolved++
			if i := strings.Index(m.Name, "<"); i > 0 {
				ix.partial = append(ix.partial, m.Name[:i])
			}
			continue
		}
		ix.byName[m.Name] = append(ix.byName[m.Name], m)
	}
	return ix
}

// Empty reports whether the index knows no metric at all (no Go code, or none exported).
func (ix *Index) Empty() bool { return len(ix.byName) == 0 && ix.Unresolved == 0 }

// Len is the number of distinct resolved family names.
func (ix *Index) Len() int { return len(ix.byName) }

// Series is a family matched for one series name.
type Series struct {
	Family checks.Metric // the first declaration
	Suffix string        // "", "_bucket", "_sum", "_count", "_total", "_created"
	// Labels is the union of the label names over every declaration, plus "le" on
	// _bucket and "quantile" on a summary's own series.
	Labels []string
	// LabelsUnresolved is true when some declaration's labels are not fully known.
	LabelsUnresolved bool
}

// Lookup resolves a series name to the family that exports it.
func (ix *Index) Lookup(name string) (Series, bool) {
	if ms, ok := ix.byName[name]; ok {
		s := ix.series(ms, "")
		switch s.Family.Type {
		case "histogram":
			// Classic histograms do not expose the bare name; native ones do.
		case "summary":
			s.Labels = addLabel(s.Labels, "quantile")
		}
		return s, true
	}
	for _, suf := range []string{"_bucket", "_sum", "_count", "_total", "_created"} {
		base, ok := strings.CutSuffix(name, suf)
		if !ok {
			continue
		}
		ms, ok := ix.byName[base]
		if !ok {
			continue
		}
		t := ms[0].Type
		switch suf {
		case "_bucket":
			if t != "histogram" {
				continue
			}
		case "_sum", "_count":
			if t != "histogram" && t != "summary" {
				continue
			}
		case "_total":
			if t != "counter" {
				continue
			}
		case "_created":
			if t != "counter" && t != "histogram" && t != "summary" {
				continue
			}
		}
		s := ix.series(ms, suf)
		if suf == "_bucket" {
			s.Labels = addLabel(s.Labels, "le")
		}
		return s, true
	}
	return Series{}, false
}

// MaybeUnresolved reports whether name could be one of the metrics whose name is not
// known statically (any unresolved entry, or one whose known prefix matches).
func (ix *Index) MaybeUnresolved(name string) bool {
	if ix.Unresolved == 0 {
		return false
	}
	if len(ix.partial) < ix.Unresolved {
		return true // some names are entirely unknown
	}
	for _, p := range ix.partial {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Names lists the resolved family names, sorted.
func (ix *Index) Names() []string {
	out := make([]string, 0, len(ix.byName))
	for n := range ix.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (ix *Index) series(ms []checks.Metric, suf string) Series {
	s := Series{Family: ms[0], Suffix: suf}
	for _, m := range ms {
		for _, l := range m.Labels {
			s.Labels = addLabel(s.Labels, l)
		}
		if m.LabelsUnresolved {
			s.LabelsUnresolved = true
		}
	}
	return s
}

func addLabel(ls []string, l string) []string {
	for _, x := range ls {
		if x == l {
			return ls
		}
	}
	out := append(append([]string{}, ls...), l)
	sort.Strings(out)
	return out
}

// TypeOf returns the type the series has as a sample stream: counter for counters and
// for the _count/_sum/_bucket series of histograms and summaries (they only grow), the
// declared type otherwise; "" when unknown.
func (s Series) TypeOf() string {
	switch s.Suffix {
	case "_bucket", "_sum", "_count", "_total":
		return "counter"
	case "_created":
		return "gauge"
	}
	if s.Family.Type == "unknown" {
		return ""
	}
	return s.Family.Type
}

// Suggest returns the closest resolved name to name (edit distance at most 3), or "".
func (ix *Index) Suggest(name string) string {
	best, bestD := "", 4
	for n := range ix.byName {
		if d := editDistance(n, name, bestD); d < bestD || (d == bestD && best != "" && n < best) {
			best, bestD = n, d
		}
	}
	if bestD > 3 {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance, cut off once it exceeds limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
