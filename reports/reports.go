// Package reports renders a verify run (a checks.Report) for people and tools: text for
// terminals, Markdown in the shape of the re-audit, the canonical JSON, SARIF 2.1.0, JUnit
// XML and GitHub workflow annotations; and it compares a report with a baseline.
package reports

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/streamaudit/streamaudit/checks"
)

// Options tunes rendering.
type Options struct {
	// Baseline is the report given with -baseline (nil without one). ApplyBaseline must
	// have been called on the rendered report; Rows is what it returned.
	Baseline *checks.Report
	Rows     []BaselineRow
	// BaselineFile names the baseline in headings ("" prints "baseline").
	BaselineFile string
	// Color enables ANSI colours in the text format (set only for terminals).
	Color bool
	// Rules is the rule catalogue used for titles, priorities, acceptance criteria and the
	// SARIF rule metadata; nil means checks.Rules().
	Rules []checks.Rule
	// Commands are the verification commands the Markdown report lists; nil uses a default
	// set for the report's root.
	Commands []string
}

// renderer writes one format.
type renderer struct {
	name   string
	ext    string
	render func(w io.Writer, rep *checks.Report, opt Options) error
}

// formats is the one table behind Formats, Ext and Render.
var formats = []renderer{
	{"text", "txt", renderText},
	{"md", "md", renderMarkdown},
	{"json", "json", renderJSON},
	{"sarif", "sarif", renderSARIF},
	{"junit", "xml", renderJUnit},
	{"github", "github.txt", renderGitHub},
}

// Formats lists the format names in their documented order.
func Formats() []string {
	out := make([]string, len(formats))
	for i, f := range formats {
		out[i] = f.name
	}
	return out
}

func lookup(name string) (renderer, error) {
	for _, f := range formats {
		if f.name == name {
			return f, nil
		}
	}
	return renderer{}, fmt.Errorf("format %q: want one of %s", name, strings.Join(Formats(), ", "))
}

// Ext returns the file extension of format (report.<ext> with -o).
func Ext(format string) (string, error) {
	f, err := lookup(format)
	return f.ext, err
}

// ParseFormats splits a comma list and validates every name.
func ParseFormats(list string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if _, err := lookup(name); err != nil {
			return nil, err
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("format %q: want one of %s", list, strings.Join(Formats(), ", "))
	}
	return out, nil
}

// Render writes rep in format to w.
func Render(w io.Writer, format string, rep *checks.Report, opt Options) error {
	f, err := lookup(format)
	if err != nil {
		return err
	}
	return f.render(w, rep, opt)
}

// byRule groups findings by rule ID, rule IDs sorted.
func byRule(fs []checks.Finding) ([]string, map[string][]checks.Finding) {
	m := map[string][]checks.Finding{}
	for _, f := range fs {
		m[f.Rule] = append(m[f.Rule], f)
	}
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, m
}

// catalogue returns the rules rendering uses.
func (o Options) catalogue() []checks.Rule {
	if o.Rules != nil {
		return o.Rules
	}
	return checks.Rules()
}

// rule looks id up in the catalogue.
func (o Options) rule(id string) (checks.Rule, bool) {
	if o.Rules == nil {
		return checks.LookupRule(id)
	}
	for _, r := range o.Rules {
		if r.ID == id {
			return r, true
		}
	}
	return checks.Rule{}, false
}

// title returns the catalogue title of id, or id itself.
func (o Options) title(id string) string {
	if r, ok := o.rule(id); ok {
		return r.Title
	}
	return id
}

// priority returns id's priority (P2 when unknown).
func (o Options) priority(id string) string {
	if r, ok := o.rule(id); ok && r.Priority != "" {
		return r.Priority
	}
	return "P2"
}

// area returns id's area (tool when unknown).
func (o Options) area(id string) string {
	if r, ok := o.rule(id); ok {
		return r.Area
	}
	return "tool"
}

func loc(f checks.Finding) string {
	return f.Position().String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
