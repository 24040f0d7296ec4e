package envdrift

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/streamaudit/streamaudit/checks"
)

// runtimeAllow lists variables read by the Go runtime, the OS, proxies, container
// platforms and build tools: never drift, whoever sets them.
var runtimeAllow = []string{
	"GOMAXPROCS", "GOMEMLIMIT", "GOGC", "GODEBUG", "GOTRACEBACK", "GOCOVERDIR",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR",
	"HOME", "PATH", "TZ", "USER", "TMPDIR", "PWD", "SHELL", "TERM", "LANG", "LC_*", "HOSTNAME",
	"NO_COLOR", "XDG_*", "KUBERNETES_*", "KUBECONFIG",
	"GOOS", "GOARCH", "GOFLAGS", "GOPATH", "GOCACHE", "GOMODCACHE", "GOPROXY", "GOPRIVATE",
	"GONOSUMDB", "GONOPROXY", "GOWORK", "GOBIN", "GOTOOLCHAIN", "GOROOT", "GOEXPERIMENT",
	"CGO_ENABLED", "CI", "CI_*", "GITHUB_*", "GITLAB_*", "RUNNER_*", "BUILDKITE_*", "DOCKER_*", "TESTCONTAINERS_*", "BUILDKIT_*",
	"OTEL_EXPORTER_*", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
	// well-known upper-case names that are not variables: Prometheus' own series,
	// Kafka security protocol and SASL mechanism values
	"ALERTS_FOR_STATE", "SASL_SSL", "SASL_PLAINTEXT", "SCRAM_SHA_256", "SCRAM_SHA_512",
}

func allowed(cfg checks.EnvConfig, name string) bool {
	for _, list := range [][]string{runtimeAllow, cfg.Allow} {
		for _, p := range list {
			if ok, _ := path.Match(p, name); ok {
				return true
			}
		}
	}
	return false
}

// defaultRequired is env.required_in_deploy when the config leaves it unset: the Kafka
// security settings, required only where a deployed binary reads them.
var defaultRequired = []string{"KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_*", "KAFKA_SSL_*"}

var secretNameRE = regexp.MustCompile(`(PASSWORD|SECRET|TOKEN|CREDENTIALS?)$`)

type evaluator struct {
	s       *Scanned
	cfg     checks.EnvConfig
	reads   map[string][]Read
	binRead map[string]map[string]bool // binary dir -> names
	dynBins map[string]bool            // binaries with dynamic reads
	anyDyn  bool
	// binPrefixes holds, per binary dir, the prefixes it reads every variable of
	// (PrefixRead); prefixes holds them all.
	binPrefixes map[string][]string
	prefixes    []string
	// consumed holds names that scripts read for themselves.
	consumed map[string]bool
}

// Findings evaluates the env rules over the scanned inventories.
func (s *Scanned) Findings(c *checks.Config) []checks.Finding {
	cfg := c.Env
	e := &evaluator{s: s, cfg: cfg, reads: map[string][]Read{}, binRead: map[string]map[string]bool{}, dynBins: map[string]bool{}}
	for _, r := range s.Go.Reads {
		e.reads[r.Name] = append(e.reads[r.Name], r)
		for _, b := range s.Go.BinariesOf(r.Pkg) {
			if e.binRead[b] == nil {
				e.binRead[b] = map[string]bool{}
			}
			e.binRead[b][r.Name] = true
		}
	}
	e.consumed = map[string]bool{}
	for _, o := range s.Others { // scripts and compose files are code that reads
		if o.Consumed {
			e.consumed[o.Name] = true
		}
	}
	e.binPrefixes = map[string][]string{}
	for _, r := range s.Go.Prefixes {
		e.prefixes = append(e.prefixes, r.Prefix)
		for _, b := range s.Go.BinariesOf(r.Pkg) {
			e.binPrefixes[b] = append(e.binPrefixes[b], r.Prefix)
		}
	}
	for _, d := range s.Go.Dynamic {
		e.anyDyn = true
		for _, b := range s.Go.BinariesOf(d.Pkg) {
			e.dynBins[b] = true
		}
	}
	var out []checks.Finding
	if s.GoLoaded {
		out = append(out, e.docStale()...)
		out = append(out, e.setNotRead()...)
		out = append(out, e.undocumented()...)
	}
	out = append(out, e.deprecated()...)
	out = append(out, e.dynamic()...)
	out = append(out, e.missingInDeploy(c)...)
	return out
}

func (e *evaluator) readByCode(name string) bool {
	return len(e.reads[name]) > 0 || e.s.OtherCode[name] || e.consumed[name] || hasPrefix(name, e.prefixes)
}

// readByBinary reports whether the binary in dir reads name, by name or by prefix.
func (e *evaluator) readByBinary(dir, name string) bool {
	return e.binRead[dir][name] || hasPrefix(name, e.binPrefixes[dir])
}

func hasPrefix(name string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func (e *evaluator) conf(bin string) checks.Confidence {
	if e.s.Go.Incomplete || bin == "" && e.anyDyn || e.dynBins[bin] {
		return checks.ConfidenceLow
	}
	return checks.ConfidenceHigh
}

// mentions returns every non-Go location of each name, docs first. Values set for a
// workload whose binary is not in the module (a Kafka broker image, apt-get, docker) are
// that program's business and left out.
func (e *evaluator) mentions() map[string][]*Mention {
	m := map[string][]*Mention{}
	seen := map[string]bool{}
	add := func(x *Mention) {
		k := x.Name + "\x00" + x.Loc.String()
		if seen[k] {
			return
		}
		seen[k] = true
		m[x.Name] = append(m[x.Name], x)
	}
	for _, d := range e.s.Docs {
		add(d)
	}
	for _, o := range e.s.Others {
		if o.Workload == nil || e.binaryOf(o.Workload) != nil {
			add(o)
		}
	}
	for _, w := range e.s.Workloads {
		if e.binaryOf(w) == nil {
			continue
		}
		for _, x := range w.Env {
			add(x)
		}
	}
	return m
}

func locs(ms []*Mention) []checks.Location {
	out := make([]checks.Location, 0, len(ms))
	for _, m := range ms {
		l := m.Loc
		l.Message = m.Kind
		out = append(out, l)
	}
	return out
}

// byFile groups mentions by file, keeping the files' first-seen order.
func byFile(ms []*Mention) ([]string, map[string][]*Mention) {
	var files []string
	g := map[string][]*Mention{}
	for _, m := range ms {
		if g[m.Loc.File] == nil {
			files = append(files, m.Loc.File)
		}
		g[m.Loc.File] = append(g[m.Loc.File], m)
	}
	return files, g
}

// related lists the locations of all mentions except primary, primary's file first.
func related(all []*Mention, primary checks.Location) []checks.Location {
	var same, other []checks.Location
	for _, l := range locs(all) {
		if l.File == primary.File && l.Line == primary.Line {
			continue
		}
		if l.File == primary.File {
			same = append(same, l)
		} else {
			other = append(other, l)
		}
	}
	return append(same, other...)
}

// currentName suggests the variable code reads instead of a stale one
// (DASHSTREAM_KAFKA_BROKERS -> KAFKA_BROKERS).
func (e *evaluator) currentName(name string) string {
	cands := []string{}
	for _, p := range e.cfg.DeprecatedPrefixes {
		if r, ok := strings.CutPrefix(name, p); ok {
			cands = append(cands, r, "KAFKA_"+r)
		}
	}
	if i := strings.IndexByte(name, '_'); i > 0 {
		cands = append(cands, name[i+1:])
	}
	for _, c := range cands {
		if len(e.reads[c]) > 0 {
			return c
		}
	}
	return ""
}

func (e *evaluator) docStale() []checks.Finding {
	var out []checks.Finding
	all := e.mentions()
	names := sortedKeys(all)
	for _, name := range names {
		var ms []*Mention
		for _, m := range all[name] {
			if !(m.Kind == KindDoc && m.Consumed) { // a doc snippet's $NAME is its own input
				ms = append(ms, m)
			}
		}
		if len(ms) == 0 || allowed(e.cfg, name) || e.readByCode(name) {
			continue
		}
		files, g := byFile(ms)
		for _, f := range files {
			first := g[f][0]
			msg := fmt.Sprintf("%s is named in %s (%s) but no code reads it", name, plural(len(g[f]), "place"), describeKinds(g[f]))
			if n := len(ms) - len(g[f]); n > 0 {
				msg += fmt.Sprintf("; %s elsewhere", plural(n, "more place"))
			}
			fix := "Remove it or replace it with the variable the code reads."
			if cur := e.currentName(name); cur != "" {
				fix = fmt.Sprintf("Replace %s with %s, which the code reads (%s).", name, cur, e.reads[cur][0].Loc)
			}
			out = append(out, checks.Finding{
				Rule: "env-doc-stale", Message: msg, File: f, Line: first.Loc.Line, Column: first.Loc.Column,
				Evidence: name, Key: name, Fix: fix, Confidence: e.conf(""), Related: related(ms, first.Loc),
			})
		}
	}
	return out
}

func describeKinds(ms []*Mention) string {
	seen := map[string]bool{}
	var kinds []string
	for _, m := range ms {
		k := m.Kind
		if m.Set {
			k += " (set)"
		}
		if !seen[k] {
			seen[k] = true
			kinds = append(kinds, k)
		}
	}
	return strings.Join(kinds, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// binaryOf maps a workload to a main package: env.binaries by workload name or hint,
// else the hint naming exactly one cmd/<name>.
func (e *evaluator) binaryOf(w *Workload) *Binary {
	if w == nil {
		return nil
	}
	for k, v := range e.cfg.Binaries {
		for _, h := range append([]string{w.Name}, w.Hints...) {
			if h == k {
				return e.s.Go.Binary(v)
			}
		}
	}
	var exact, partial []*Binary
	for _, b := range e.s.Go.Binaries {
		ex, pa := false, false
		for _, h := range w.Hints {
			for _, t := range hintTokens(h) {
				switch {
				case t == b.Name:
					ex = true
				case strings.HasSuffix(t, "-"+b.Name) || strings.HasPrefix(t, b.Name+"-") || strings.HasSuffix(t, "_"+b.Name) || strings.HasPrefix(t, b.Name+"_"):
					pa = true
				}
			}
		}
		if ex {
			exact = append(exact, b)
		} else if pa {
			partial = append(partial, b)
		}
	}
	if len(exact) == 1 {
		return exact[0]
	}
	if len(exact) == 0 && len(partial) == 1 {
		return partial[0]
	}
	return nil
}

var hintSplitRE = regexp.MustCompile(`[\s/:@"',=\[\]{}]+`)

// display is the workload's name for messages: a part a Helm template computes
// ({{ .Chart.Name }}, an include) is shown as {{…}}, not as the scanner's placeholder.
func (w *Workload) display() string {
	return placeholderRE.ReplaceAllString(w.Name, "{{…}}")
}

var placeholderRE = regexp.MustCompile(`__(tpl|values|rangekey|rangeitem)__(:[A-Za-z0-9_.-]*)?`)

// hintTokens splits a hint into words that may name a binary; template placeholders
// are dropped ("{{ .Release.Name }}-exporter" gives "exporter").
func hintTokens(h string) []string {
	var out []string
	for _, t := range hintSplitRE.Split(placeholderRE.ReplaceAllString(h, ""), -1) {
		t = strings.TrimSuffix(strings.TrimPrefix(t, "."), ".exe")
		t = strings.Trim(t, "-_.")
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

func (e *evaluator) setNotRead() []checks.Finding {
	var out []checks.Finding
	for _, w := range e.s.Workloads {
		b := e.binaryOf(w)
		if b == nil {
			continue
		}
		for _, m := range w.Env {
			if allowed(e.cfg, m.Name) || e.readByBinary(b.Dir, m.Name) {
				continue
			}
			msg := fmt.Sprintf("%s is set for %s (%s %q), which never reads it", m.Name, b.Dir, kindNoun(m.Kind), w.display())
			var rel []checks.Location
			if rs := e.reads[m.Name]; len(rs) > 0 {
				var others []string
				for _, r := range rs {
					others = append(others, e.s.Go.BinariesOf(r.Pkg)...)
					rel = append(rel, checks.Location{File: r.Loc.File, Line: r.Loc.Line, Column: r.Loc.Column, Message: "read here (" + r.Via + ")"})
				}
				if others = uniq(others); len(others) > 0 {
					msg += "; it is read by " + strings.Join(others, ", ") + " only"
				}
			}
			f := checks.Finding{
				Rule: "env-set-not-read", Message: msg, File: m.Loc.File, Line: m.Loc.Line, Column: m.Loc.Column,
				Evidence: m.Name + "=" + m.Value, Key: m.Name + "@" + b.Dir, Binary: b.Dir, Confidence: e.conf(b.Dir),
				Fix: fmt.Sprintf("Make %s read %s (validated, documented), or stop setting it.", b.Dir, m.Name),
			}
			if prop := propertyOf(m.Name, e.cfg.DeprecatedPrefixes); prop != "" {
				var hard []HardCode
				for _, h := range e.s.Go.HardCodes {
					if h.Property == prop && b.closure[h.Pkg] {
						hard = append(hard, h)
					}
				}
				if len(hard) > 0 {
					f.Evidence = fmt.Sprintf("%s is hard-coded instead at %s: %s", prop, hard[0].Loc, hard[0].Expr)
					f.Message += fmt.Sprintf("; %s is hard-coded at %s", prop, hard[0].Loc)
					for _, h := range hard {
						rel = append([]checks.Location{{File: h.Loc.File, Line: h.Loc.Line, Column: h.Loc.Column, Message: "hard-coded: " + h.Expr}}, rel...)
					}
				}
			}
			f.Related = rel
			if w.Kind == KindScript {
				// an example or helper script, not a deployment: worth fixing, not an error
				f.Severity = checks.SeverityWarning
			}
			out = append(out, f)
		}
	}
	return out
}

func kindNoun(kind string) string {
	switch kind {
	case KindManifest:
		return "container"
	case KindCompose:
		return "service"
	case KindDockerfile:
		return "image"
	case KindScript:
		return "command"
	}
	return kind
}

func (e *evaluator) undocumented() []checks.Finding {
	documented := map[string]bool{}
	for _, d := range e.s.Docs {
		documented[d.Name] = true
	}
	var out []checks.Finding
	for _, name := range sortedKeys(e.reads) {
		rs := e.reads[name]
		if documented[name] || allowed(e.cfg, name) || !strings.Contains(name, "_") && e.s.DocWords[name] {
			continue
		}
		var bins []string
		for _, r := range rs {
			bins = append(bins, e.s.Go.BinariesOf(r.Pkg)...)
		}
		bins = uniq(bins)
		if len(bins) == 0 {
			continue // read only by library code no binary uses
		}
		var rel []checks.Location
		for _, r := range rs[1:] {
			rel = append(rel, checks.Location{File: r.Loc.File, Line: r.Loc.Line, Column: r.Loc.Column, Message: r.Via})
		}
		out = append(out, checks.Finding{
			Rule: "env-undocumented", File: rs[0].Loc.File, Line: rs[0].Loc.Line, Column: rs[0].Loc.Column,
			Message:  fmt.Sprintf("%s is read by %s (%s) but no document names it", name, strings.Join(bins, ", "), rs[0].Via),
			Evidence: name, Key: name, Binary: bins[0], Related: rel,
			Fix: fmt.Sprintf("Document %s (default, allowed values) in one of: %s.", name, strings.Join(e.cfg.Docs, ", ")),
		})
	}
	return out
}

func (e *evaluator) deprecated() []checks.Finding {
	if len(e.cfg.DeprecatedPrefixes) == 0 {
		return nil
	}
	all := e.mentions()
	for name, rs := range e.reads {
		for _, r := range rs {
			all[name] = append(all[name], &Mention{Name: name, Loc: r.Loc, Kind: "go"})
		}
	}
	var out []checks.Finding
	for _, name := range sortedKeys(all) {
		prefix := ""
		for _, p := range e.cfg.DeprecatedPrefixes {
			if strings.HasPrefix(name, p) {
				prefix = p
			}
		}
		if prefix == "" {
			continue
		}
		ms := all[name]
		files, g := byFile(ms)
		for _, f := range files {
			first := g[f][0]
			fix := "Use the current variable name."
			if cur := e.currentName(name); cur != "" {
				fix = "Use " + cur + "."
			}
			out = append(out, checks.Finding{
				Rule: "env-deprecated-prefix", File: f, Line: first.Loc.Line, Column: first.Loc.Column,
				Message:  fmt.Sprintf("%s uses the deprecated prefix %s (%s in this file)", name, prefix, plural(len(g[f]), "place")),
				Evidence: name, Key: name, Fix: fix, Related: related(ms, first.Loc),
			})
		}
	}
	return out
}

func (e *evaluator) dynamic() []checks.Finding {
	var out []checks.Finding
	for _, d := range e.s.Go.Dynamic {
		bins := e.s.Go.BinariesOf(d.Pkg)
		f := checks.Finding{
			Rule: "env-dynamic-read", File: d.Loc.File, Line: d.Loc.Line, Column: d.Loc.Column,
			Message: "env read that cannot be resolved statically: " + d.Expr, Evidence: d.Expr, Key: d.Expr,
			Fix: "Use constant variable names (a const or a helper called with constants), or list the variables in env.allow.",
		}
		if d.Fix != "" {
			f.Fix = d.Fix
		}
		if len(bins) > 0 {
			f.Binary = bins[0]
			f.Message += " (lowers the confidence of env findings for " + strings.Join(bins, ", ") + ")"
		}
		out = append(out, f)
	}
	return out
}

func (e *evaluator) missingInDeploy(c *checks.Config) []checks.Finding {
	patterns := e.cfg.RequiredInDeploy
	if patterns == nil {
		patterns = defaultRequired
	}
	if len(patterns) == 0 {
		return nil
	}
	known := map[string]bool{}
	for n := range e.reads {
		known[n] = true
	}
	for _, w := range e.s.Workloads {
		for _, m := range w.Env {
			known[m.Name] = true
		}
	}
	var required []string
	for _, p := range patterns {
		if !strings.Contains(p, "*") {
			required = append(required, p)
			continue
		}
		for n := range known {
			if ok, _ := path.Match(p, n); ok {
				required = append(required, n)
			}
		}
	}
	required = uniq(required)
	var out []checks.Finding
	for _, w := range e.s.Workloads {
		if w.Env == nil && !w.Open && w.Loc.File == "" {
			continue
		}
		if w.Kind != KindManifest && w.Kind != KindCompose {
			continue
		}
		b := e.binaryOf(w)
		if b == nil {
			continue // a program of someone else (a broker image): its variables are not ours
		}
		set := map[string]*Mention{}
		for _, m := range w.Env {
			set[m.Name] = m
		}
		var missing []string
		for _, n := range required {
			if !e.binRead[b.Dir][n] {
				continue // the binary does not read it: nothing to pass
			}
			if set[n] == nil && !w.Open {
				missing = append(missing, n)
			}
		}
		binDesc := " (" + b.Dir + ")"
		if len(missing) > 0 {
			f := checks.Finding{
				Rule: "env-missing-in-deploy", File: w.Loc.File, Line: w.Loc.Line,
				Message:  fmt.Sprintf("%s %q%s cannot be given %s: no env entry, values key or envFrom reference", kindNoun(w.Kind), w.display(), binDesc, strings.Join(missing, ", ")),
				Evidence: strings.Join(missing, ", "), Key: w.Name + ":" + strings.Join(missing, ","),
				Fix: "Expose the variables in the manifest/chart (secrets through secretKeyRef or a mounted Secret).",
			}
			f.Binary = b.Dir
			f.Confidence = e.conf(b.Dir)
			for _, n := range missing {
				for _, r := range e.reads[n] {
					if b.closure[r.Pkg] {
						f.Related = append(f.Related, checks.Location{File: r.Loc.File, Line: r.Loc.Line, Column: r.Loc.Column, Message: n + " read here"})
						break
					}
				}
			}
			out = append(out, f)
		}
		for _, m := range w.Env {
			if !secretNameRE.MatchString(m.Name) || m.Secret || m.Value == "" || w.Kind != KindManifest || !matchesAny(patterns, m.Name) {
				continue
			}
			how := "as a literal value"
			if p, ok := strings.CutPrefix(m.Value, phValues); ok {
				how = "from the plain chart value ." + p + " (kept in values files and the release)"
			} else if strings.Contains(m.Value, "__") {
				continue // computed by a template: cannot tell
			}
			out = append(out, checks.Finding{
				Rule: "env-missing-in-deploy", File: m.Loc.File, Line: m.Loc.Line,
				Message:  fmt.Sprintf("%s is set %s for %q; pass it through a Secret reference", m.Name, how, w.display()),
				Evidence: m.Name, Key: m.Name + "@" + w.Name + ":literal", Binary: b.Dir,
				Fix: "Use valueFrom.secretKeyRef (or a mounted Secret file) instead of a literal value.",
			})
		}
	}
	return out
}

func matchesAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
