package rules

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/checks/metrics"
)

// Input is what every rule check sees: the loaded rule files, the metric inventory and
// the rules configuration.
type Input struct {
	Files  []*File
	Index  *metrics.Index
	Config checks.RulesConfig
	// ConfigFile is the root-relative config path findings without a rule line point at.
	ConfigFile string
	// Load reads a root-relative file that is not among Files (copies); nil when absent.
	Load func(path string) (*File, error)
	// secondary marks copies (every member of a copies entry but the first): their rules
	// are checked through rules-copy-drift and rules-invalid only.
	secondary map[string]bool
}

// check is one rule check; the registry below is the single list the stage runs.
type check struct {
	id string
	fn func(in *Input) []checks.Finding
}

var registry = []check{
	{"rules-invalid", checkInvalid}, // also reports rules-needs-rendering
	{"rules-required-alert", checkRequired},
	{"rules-unknown-metric", checkUnknownMetric},
	{"rules-counter-func", checkCounterFunc},
	{"rules-unalerted", checkUnalerted},
	{"rules-copy-drift", checkCopyDrift},
	{"rules-unknown-label", checkUnknownLabel},
	{"rules-duplicate-alert", checkDuplicate},
	{"rules-missing-for", checkMissingFor},
}

// Run runs every rule check over in and returns the findings.
func Run(in *Input) []checks.Finding {
	if in.Index == nil {
		in.Index = metrics.NewIndex(nil)
	}
	in.secondary = map[string]bool{}
	for _, c := range in.Config.Copies {
		for _, p := range c[min(1, len(c)):] {
			in.secondary[p] = true
		}
	}
	var out []checks.Finding
	for _, c := range registry {
		out = append(out, c.fn(in)...)
	}
	return out
}

// primary returns the rules of files that are not secondary copies.
func (in *Input) primary() []*File {
	var out []*File
	for _, f := range in.Files {
		if !in.secondary[f.Path] {
			out = append(out, f)
		}
	}
	return out
}

func eachRule(files []*File, fn func(f *File, r Rule)) {
	for _, f := range files {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				fn(f, r)
			}
		}
	}
}

var lineNums = regexp.MustCompile(`\d+:\d+: `)

func checkInvalid(in *Input) []checks.Finding {
	var out []checks.Finding
	for _, f := range in.Files {
		for _, p := range f.Problems {
			out = append(out, checks.Finding{Rule: "rules-invalid", File: f.Path, Line: p.Line, Column: p.Column,
				Message: "Prometheus rejects this rule file: " + p.Msg, Key: lineNums.ReplaceAllString(p.Msg, ""),
				Evidence: p.Msg})
		}
		if f.Rendering != nil {
			out = append(out, checks.Finding{Rule: "rules-needs-rendering", File: f.Path, Line: f.Rendering.Line,
				Message: f.Rendering.Msg, Key: "needs-rendering", Confidence: checks.ConfidenceHigh})
		}
	}
	return out
}

// builtinSeries are series Prometheus itself creates.
var builtinSeries = map[string]bool{"up": true, "ALERTS": true, "ALERTS_FOR_STATE": true, "scrape_duration_seconds": true,
	"scrape_samples_scraped": true, "scrape_samples_post_metric_relabeling": true, "scrape_series_added": true,
	"scrape_timeout_seconds": true, "scrape_sample_limit": true, "scrape_body_size_bytes": true}

// recorded returns the names recording rules define in any loaded file.
func (in *Input) recorded() map[string]bool {
	m := map[string]bool{}
	eachRule(in.Files, func(_ *File, r Rule) {
		if r.Record != "" {
			m[r.Record] = true
		}
	})
	return m
}

func checkUnknownMetric(in *Input) []checks.Finding {
	// Without an inventory (no Go code, or no metrics found) every metric would be
	// "unknown": report nothing rather than flood (docs/CHECKS-rules.md).
	if in.Index.Len() == 0 {
		return nil
	}
	rec := in.recorded()
	var out []checks.Finding
	eachRule(in.primary(), func(f *File, r Rule) {
		seen := map[string]bool{}
		for _, s := range Selectors(r.Parsed) {
			if s.Name == "" || seen[s.Name] || rec[s.Name] || builtinSeries[s.Name] {
				continue
			}
			seen[s.Name] = true
			if _, ok := in.Index.Lookup(s.Name); ok {
				continue
			}
			fd := checks.Finding{Rule: "rules-unknown-metric", File: f.Path, Line: r.LineOf(s.Pos),
				Message:  fmt.Sprintf("%s %s uses %s, which the code does not export", ruleKind(r), r.Name(), s.Name),
				Evidence: s.Name, Key: r.Name() + " " + s.Name}
			if sug := in.Index.Suggest(s.Name); sug != "" {
				fd.Fix = "did you mean " + sug + "?"
			}
			if in.Index.MaybeUnresolved(s.Name) {
				fd.Confidence = checks.ConfidenceLow
				fd.Message += " (some metric names in the code could not be resolved)"
			}
			out = append(out, fd)
		}
	})
	return out
}

func ruleKind(r Rule) string {
	if r.Alert != "" {
		return "alert"
	}
	return "recording rule"
}

var (
	counterFuncs = map[string]bool{"rate": true, "irate": true, "increase": true, "resets": true}
	gaugeFuncs   = map[string]bool{"delta": true, "idelta": true, "deriv": true, "predict_linear": true, "double_exponential_smoothing": true, "holt_winters": true}
)

func checkCounterFunc(in *Input) []checks.Finding {
	var out []checks.Finding
	eachRule(in.primary(), func(f *File, r Rule) {
		for _, s := range Selectors(r.Parsed) {
			if s.Name == "" || (!counterFuncs[s.Func] && !gaugeFuncs[s.Func]) {
				continue
			}
			typ, fromCode := "", false
			if ser, ok := in.Index.Lookup(s.Name); ok {
				typ, fromCode = ser.TypeOf(), ser.TypeOf() != ""
			}
			fd := checks.Finding{Rule: "rules-counter-func", File: f.Path, Line: r.LineOf(s.Pos),
				Evidence: s.Func + "(" + s.Name + ")", Key: r.Name() + " " + s.Func + "(" + s.Name + ")"}
			switch {
			case fromCode && counterFuncs[s.Func] && typ == "gauge":
				fd.Message = fmt.Sprintf("%s %s applies %s to %s, a gauge in the code: counter resets are assumed", ruleKind(r), r.Name(), s.Func, s.Name)
				fd.Fix = "use delta/deriv for gauges, or make the metric a counter"
			case fromCode && gaugeFuncs[s.Func] && typ == "counter":
				fd.Message = fmt.Sprintf("%s %s applies %s to %s, a counter in the code: resets make it wrong", ruleKind(r), r.Name(), s.Func, s.Name)
				fd.Fix = "use rate or increase on counters"
			case !fromCode && gaugeFuncs[s.Func] && counterLike(s.Name):
				fd.Message = fmt.Sprintf("%s %s applies %s to %s, which is named like a counter (type unknown)", ruleKind(r), r.Name(), s.Func, s.Name)
				fd.Fix = "use rate or increase on counters"
				fd.Severity = checks.SeverityInfo
				fd.Confidence = checks.ConfidenceLow
			default:
				continue
			}
			out = append(out, fd)
		}
	})
	return out
}

func counterLike(name string) bool {
	for _, s := range []string{"_total", "_count", "_sum", "_bucket"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// alerted returns the metric names alerting rules reference, following recording rules.
func (in *Input) alerted() map[string]bool {
	recExprs := map[string][]string{}
	eachRule(in.Files, func(_ *File, r Rule) {
		if r.Record != "" {
			recExprs[r.Record] = append(recExprs[r.Record], MetricNames(r.Parsed)...)
		}
	})
	out := map[string]bool{}
	var add func(n string, depth int)
	add = func(n string, depth int) {
		if out[n] || depth > 20 {
			return
		}
		out[n] = true
		for _, m := range recExprs[n] {
			add(m, depth+1)
		}
	}
	eachRule(in.Files, func(_ *File, r Rule) {
		if r.Alert != "" {
			for _, n := range MetricNames(r.Parsed) {
				add(n, 0)
			}
		}
	})
	// Histogram/summary series count for their family.
	for n := range out {
		if s, ok := in.Index.Lookup(n); ok {
			out[s.Family.Name] = true
		}
	}
	return out
}

var metricToken = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9_:]*_[a-zA-Z0-9_:]*[a-zA-Z0-9]`)

func checkUnalerted(in *Input) []checks.Finding {
	alerted := in.alerted()
	var out []checks.Finding
	byMetric := map[string]int{}
	for _, f := range in.primary() {
		for _, c := range f.Comments {
			for _, tok := range metricToken.FindAllString(c.Text, -1) {
				if !strings.Contains(tok, "_") || alerted[tok] {
					continue
				}
				_, known := in.Index.Lookup(tok)
				if !known && !matchAny(in.Config.MustAlert, tok) && !strings.HasSuffix(tok, "_total") {
					continue
				}
				if s, ok := in.Index.Lookup(tok); ok && alerted[s.Family.Name] {
					continue
				}
				if _, dup := byMetric[tok]; dup {
					continue
				}
				byMetric[tok] = len(out)
				out = append(out, checks.Finding{Rule: "rules-unalerted", File: f.Path, Line: c.Line,
					Message:  fmt.Sprintf("a comment names %s, but no alerting rule uses it", tok),
					Evidence: "# " + c.Text, Key: "comment " + tok,
					Fix: fmt.Sprintf("add an alert on sum(rate(%s[5m])) with promtool unit tests", tok)})
			}
		}
	}
	if len(in.Config.MustAlert) == 0 {
		return out
	}
	for _, name := range in.Index.Names() {
		if !matchAny(in.Config.MustAlert, name) || alerted[name] {
			continue
		}
		s, _ := in.Index.Lookup(name)
		loc := checks.Location{File: s.Family.File, Line: s.Family.Line, Message: "exported here"}
		if i, ok := byMetric[name]; ok {
			out[i].Related = append(out[i].Related, loc)
			continue
		}
		out = append(out, checks.Finding{Rule: "rules-unalerted", File: s.Family.File, Line: s.Family.Line,
			Message:  fmt.Sprintf("%s matches rules.must_alert, but no alerting rule uses it", name),
			Evidence: name, Key: "must_alert " + name,
			Fix: fmt.Sprintf("add an alert on sum(rate(%s[5m])) with promtool unit tests", name)})
	}
	return out
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// targetLabels are attached by service discovery and relabelling, not by the code.
var targetLabels = map[string]bool{"job": true, "instance": true, "namespace": true, "pod": true, "container": true,
	"service": true, "endpoint": true, "node": true, "cluster": true, "prometheus": true, "prometheus_replica": true}

func checkUnknownLabel(in *Input) []checks.Finding {
	var out []checks.Finding
	eachRule(in.primary(), func(f *File, r Rule) {
		for _, s := range Selectors(r.Parsed) {
			ser, ok := in.Index.Lookup(s.Name)
			if !ok || ser.LabelsUnresolved {
				continue
			}
			for _, m := range s.Matchers {
				if targetLabels[m.Name] || contains(ser.Labels, m.Name) || m.Matches("") {
					continue
				}
				out = append(out, checks.Finding{Rule: "rules-unknown-label", File: f.Path, Line: r.LineOf(s.Pos),
					Message: fmt.Sprintf("%s %s matches label %q on %s, which the code exports with labels [%s] only: the selector matches nothing",
						ruleKind(r), r.Name(), m.Name, s.Name, strings.Join(ser.Labels, ", ")),
					Evidence: matcherString(s.Name, m), Key: r.Name() + " " + s.Name + " " + m.Name})
			}
		}
	})
	return out
}

func matcherString(name string, m *labels.Matcher) string { return name + "{" + m.String() + "}" }

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func checkDuplicate(in *Input) []checks.Finding {
	type first struct {
		file string
		line int
	}
	seen := map[string]first{}
	var dups []checks.Finding
	alerts := map[string]int{}     // alerts per file
	pairs := map[[2]string][]int{} // (file, first file) -> indexes into dups
	eachRule(in.primary(), func(f *File, r Rule) {
		if r.Alert == "" || f.Kind == KindGrafana {
			return
		}
		alerts[f.Path]++
		key := r.Alert + "\x00" + labelString(r.Labels)
		if p, ok := seen[key]; ok {
			pk := [2]string{f.Path, p.file}
			pairs[pk] = append(pairs[pk], len(dups))
			dups = append(dups, checks.Finding{Rule: "rules-duplicate-alert", File: f.Path, Line: r.Line,
				Message: fmt.Sprintf("alert %s is defined again with the same labels (first at %s:%d)", r.Alert, p.file, p.line),
				Key:     r.Alert, Evidence: "alert: " + r.Alert,
				Related: []checks.Location{{File: p.file, Line: p.line, Message: "first definition"}}})
			return
		}
		seen[key] = first{f.Path, r.Line}
	})
	// A file whose every alert repeats another file's is an unlisted copy: one finding.
	var out []checks.Finding
	folded := map[int]bool{}
	keys := make([][2]string, 0, len(pairs))
	for k := range pairs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, k := range keys {
		idx := pairs[k]
		if len(idx) < 2 || len(idx) != alerts[k[0]] {
			continue
		}
		f := dups[idx[0]]
		var names []string
		for _, i := range idx {
			folded[i] = true
			names = append(names, strings.TrimPrefix(dups[i].Evidence, "alert: "))
		}
		f.Message = fmt.Sprintf("every alert of %s (%s) is also defined in %s: Prometheus loading both fires each twice", k[0], strings.Join(names, ", "), k[1])
		f.Key = "copy of " + k[1]
		f.Evidence = k[0]
		f.Fix = fmt.Sprintf("if %s is a copy, list [%q, %q] in rules.copies (rules-copy-drift keeps them in sync); else remove the duplicates", k[0], k[1], k[0])
		f.Related = []checks.Location{{File: k[1], Message: "original"}}
		out = append(out, f)
	}
	for i, d := range dups {
		if !folded[i] {
			out = append(out, d)
		}
	}
	return out
}

func labelString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q,", k, m[k])
	}
	return b.String()
}

var camelBoundary = regexp.MustCompile(`([a-z0-9])([A-Z])`)

// isLagName reports whether an alert name has the word "lag" (CamelCase or separated),
// so ConsumerLagHigh counts and ConsulAgentUnhealthy does not.
func isLagName(name string) bool {
	for _, w := range strings.FieldsFunc(camelBoundary.ReplaceAllString(name, "${1} ${2}"), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		if strings.EqualFold(w, "lag") {
			return true
		}
	}
	return false
}

func checkMissingFor(in *Input) []checks.Finding {
	var out []checks.Finding
	eachRule(in.primary(), func(f *File, r Rule) {
		if r.Alert == "" || r.For > 0 {
			return
		}
		isLag := isLagName(r.Alert)
		for _, n := range MetricNames(r.Parsed) {
			if strings.Contains(n, "_lag") {
				isLag = true
			}
		}
		if !isLag {
			return
		}
		out = append(out, checks.Finding{Rule: "rules-missing-for", File: f.Path, Line: r.Line,
			Message: fmt.Sprintf("lag alert %s has no `for`: it pages on a single evaluation, e.g. on a spike right after a rebalance or restart", r.Alert),
			Key:     r.Alert, Evidence: "alert: " + r.Alert, Fix: "add `for: 5m` (or longer than a rebalance takes)"})
	})
	return out
}

func checkRequired(in *Input) []checks.Finding {
	var out []checks.Finding
	for _, req := range in.Config.RequiredAlerts {
		var found []Rule
		var files []string
		eachRule(in.Files, func(f *File, r Rule) {
			if r.Alert == req.Alert {
				found = append(found, r)
				files = append(files, f.Path)
			}
		})
		if len(found) == 0 {
			out = append(out, checks.Finding{Rule: "rules-required-alert", File: in.requiredFile(), Line: in.firstLine(in.requiredFile()),
				Message: fmt.Sprintf("required alert %s is missing from the rule files (%s)", req.Alert, strings.Join(in.Config.Files, ", ")),
				Key:     req.Alert, Evidence: "alert: " + req.Alert,
				Fix: requiredFix(req)})
			continue
		}
		for i, r := range found {
			used := map[string]bool{}
			for _, n := range MetricNames(r.Parsed) {
				used[n] = true
			}
			var missing []string
			for _, u := range req.Uses {
				if !used[u] {
					missing = append(missing, u)
				}
			}
			if len(missing) > 0 {
				out = append(out, checks.Finding{Rule: "rules-required-alert", File: files[i], Line: r.ExprLine,
					Message: fmt.Sprintf("required alert %s does not use %s", req.Alert, strings.Join(missing, ", ")),
					Key:     req.Alert + " uses", Evidence: r.Expr, Fix: requiredFix(req)})
			}
		}
	}
	return out
}

func requiredFix(req checks.RequiredAlert) string {
	if len(req.Uses) == 0 {
		return "add alert " + req.Alert
	}
	return fmt.Sprintf("add alert %s with expr on sum(rate(%s[5m])) and promtool unit tests", req.Alert, req.Uses[0])
}

// firstLine is the line of the first rule group of a loaded file (1 if unknown).
func (in *Input) firstLine(path string) int {
	for _, f := range in.Files {
		if f.Path == path && len(f.Groups) > 0 && f.Groups[0].Line > 0 {
			return f.Groups[0].Line
		}
	}
	return 1
}

// requiredFile is where findings about absent things point: the original of the first
// rules.copies entry (the canonical rule file), else the first primary rule file, else
// the configuration file.
func (in *Input) requiredFile() string {
	for _, c := range in.Config.Copies {
		if len(c) > 0 {
			return c[0]
		}
	}
	for _, f := range in.primary() {
		return f.Path
	}
	if in.ConfigFile != "" {
		return in.ConfigFile
	}
	return ".streamaudit.yaml"
}
