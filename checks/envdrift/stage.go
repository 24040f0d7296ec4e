package envdrift

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/streamaudit/streamaudit/checks"
)

// Stage is the envdrift stage (see checks.Stage).
var Stage = checks.Stage{
	Name:  "envdrift",
	Group: "drift",
	Rules: []string{"env-doc-stale", "env-set-not-read", "env-undocumented", "env-deprecated-prefix", "env-dynamic-read", "env-missing-in-deploy", "config-invalid"},
	Run:   run,
}

// maxFileSize bounds what is read of one doc, script or manifest.
const maxFileSize = 64 << 20

func run(ctx context.Context, ws *checks.Workspace, st *checks.State) error {
	s, err := Scan(ctx, ws)
	if err != nil {
		return err
	}
	st.Errors = append(st.Errors, s.Errors...)
	st.Inventory.Env = append(st.Inventory.Env, s.Inventory()...)
	st.Add(s.Findings(ws.Config)...)
	st.Add(s.configFindings(ws)...)
	return nil
}

// configFindings reports env.binaries entries that name no main package of the module.
func (s *Scanned) configFindings(ws *checks.Workspace) []checks.Finding {
	if !s.GoLoaded {
		return nil
	}
	file := ".streamaudit.yaml"
	if ws.Config.File != "" {
		file = ws.Rel(ws.Config.File)
	}
	var out []checks.Finding
	for _, name := range sortedKeys(ws.Config.Env.Binaries) {
		pkg := ws.Config.Env.Binaries[name]
		if s.Go.Binary(pkg) != nil {
			continue
		}
		var known []string
		for _, b := range s.Go.Binaries {
			known = append(known, b.Dir)
		}
		out = append(out, checks.Finding{
			Rule: "config-invalid", File: file, Key: "env.binaries." + name,
			Message:  fmt.Sprintf("env.binaries: %s -> %q is not a main package of the module (main packages: %s)", name, pkg, strings.Join(known, ", ")),
			Evidence: name + ": " + pkg,
			Fix:      "Name the main package directory, e.g. ./cmd/" + name + ".",
		})
	}
	return out
}

// Scanned is everything the stage learned about one tree.
type Scanned struct {
	Go *GoInventory
	// OtherCode holds names found as string literals anywhere in the module's Go code
	// (also tests and other build tags): code that names a variable reads it or hands
	// it to a child process or container, so documenting it is not stale.
	OtherCode map[string]bool
	Docs      []*Mention
	Others    []*Mention // scripts, .env, Dockerfile ARG/refs, compose ${VAR}
	Workloads []*Workload
	DocFiles  int
	// DocWords are the names without an underscore (GOFLAGS, GOPACKAGESDRIVER) that a
	// document writes as code (`NAME`, `NAME=...`). They are not Docs mentions: such words
	// are too often something else to report as stale, but they do document a variable
	// the code reads (env-undocumented).
	DocWords map[string]bool
	Errors   []string
	// GoLoaded is false when no Go code could be analysed: the rules that compare
	// against the code's reads are skipped then.
	GoLoaded bool

	defines map[string]map[string]helmDefine // chart -> named templates
}

// Scan builds the inventories of ws. Unreadable or malformed files become entries of
// Errors (file:line), never a failure of the whole scan.
func Scan(ctx context.Context, ws *checks.Workspace) (*Scanned, error) {
	cfg := ws.Config.Env
	s := &Scanned{Go: &GoInventory{}, OtherCode: map[string]bool{}}
	files, err := ws.Files()
	if err != nil {
		return nil, err
	}
	nested := checks.NestedModuleDirs(files)
	own := func(f string) bool { return !checks.UnderAny(f, nested) }
	loaded := map[string]bool{}
	if ws.HasGo() {
		pkgs, err := ws.Packages(ctx)
		if err != nil {
			s.Errors = append(s.Errors, "envdrift: go packages: "+err.Error())
		} else {
			s.Go = analyzeGo(ws, pkgs)
			s.GoLoaded = true
			for _, p := range pkgs {
				for _, f := range p.CompiledGoFiles {
					loaded[ws.Rel(f)] = true
				}
				for _, f := range p.GoFiles {
					loaded[ws.Rel(f)] = true
				}
				for _, f := range p.Syntax {
					for _, n := range literalNames(f) {
						s.OtherCode[n] = true
					}
				}
			}
		}
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".go") && !loaded[f] && own(f) && !checks.MatchAny(ws.Config.Exclude, f) {
			data, err := ws.ReadFile(f)
			if err == nil {
				for _, n := range goStringNames(data) {
					s.OtherCode[n] = true
				}
			}
		}
	}
	read := func(f string) []byte {
		data, err := ws.ReadFile(f)
		if err != nil {
			s.Errors = append(s.Errors, fmt.Sprintf("envdrift: %s: %v", f, err))
			return nil
		}
		if len(data) > maxFileSize {
			s.Errors = append(s.Errors, fmt.Sprintf("envdrift: %s: %d bytes, larger than %d: skipped", f, len(data), maxFileSize))
			return nil
		}
		return data
	}
	docs, _ := ws.Glob(cfg.Docs)
	for _, f := range docs {
		if !own(f) || !isMarkdown(f) {
			continue
		}
		if data := read(f); data != nil {
			s.DocFiles++
			s.Docs = append(s.Docs, extractMarkdown(f, data)...)
			for _, w := range codeWords(data) {
				if s.DocWords == nil {
					s.DocWords = map[string]bool{}
				}
				s.DocWords[w] = true
			}
		}
	}
	seen := map[string]bool{}
	scripts, _ := ws.Glob(cfg.Scripts)
	deploy, _ := ws.Glob(cfg.Deploy)
	charts := chartDirs(files)
	isScript := map[string]bool{}
	for _, f := range scripts {
		isScript[f] = true
	}
	for _, f := range append(scripts, deploy...) {
		if seen[f] || !own(f) {
			continue
		}
		seen[f] = true
		s.scanDeployFile(ws, f, charts, read, isScript[f])
	}
	return s, nil
}

func isMarkdown(f string) bool {
	ext := strings.ToLower(path.Ext(f))
	return ext == ".md" || ext == ".markdown"
}

// chartDirs lists Helm chart directories (holding Chart.yaml).
func chartDirs(files []string) []string {
	var out []string
	for _, f := range files {
		if path.Base(f) == "Chart.yaml" {
			out = append(out, path.Dir(f))
		}
	}
	return out
}

// scanDeployFile reads one script or deployment file by its kind; files listed in
// env.scripts without a known extension are read as shell (.ci/run, bin/deploy).
func (s *Scanned) scanDeployFile(ws *checks.Workspace, f string, charts []string, read func(string) []byte, script bool) {
	base := path.Base(f)
	ext := strings.ToLower(path.Ext(f))
	lower := strings.ToLower(base)
	switch {
	case strings.HasPrefix(lower, "dockerfile") || strings.HasSuffix(lower, ".dockerfile") || strings.HasSuffix(lower, "containerfile"):
		if data := read(f); data != nil {
			ms := extractDockerfile(f, data)
			s.Others = append(s.Others, ms...)
			for _, m := range ms {
				if m.Workload != nil {
					s.addWorkload(m.Workload)
					break
				}
			}
		}
	case ext == ".env" || strings.HasPrefix(base, ".env"):
		if data := read(f); data != nil {
			s.Others = append(s.Others, extractDotenv(f, data)...)
		}
	case ext == ".sh" || ext == ".bash" || script && ext == "" || ext == "" && hasShellShebang(ws, f):
		if data := read(f); data != nil {
			ms, err := extractShell(f, data)
			if err != nil {
				s.Errors = append(s.Errors, "envdrift: "+err.Error())
			}
			s.addShell(ms)
		}
	case ext == ".yml" || ext == ".yaml":
		chart := ""
		for _, c := range charts {
			if prefix := c + "/"; c == "." || strings.HasPrefix(f, prefix) {
				chart = c
			}
		}
		if chart != "" {
			rel := strings.TrimPrefix(f, chart+"/")
			if chart == "." {
				rel = f
			}
			if !strings.HasPrefix(rel, "templates/") {
				return // values and Chart.yaml are read through the templates
			}
			data := read(f)
			if data == nil {
				return
			}
			vals := &valueResolver{file: path.Join(chart, "values.yaml"), defines: s.chartDefines(ws, chart, read)}
			if vdata, err := ws.ReadFile(vals.file); err == nil {
				if docs, err := parseYAMLDocs(vals.file, vdata); err == nil && len(docs) > 0 {
					vals.root = docs[0]
				} else if err != nil {
					s.Errors = append(s.Errors, "envdrift: "+err.Error())
				}
			}
			docs, err := parseYAMLDocs(f, detemplate(data))
			if err != nil {
				s.Errors = append(s.Errors, "envdrift: helm template (static scan): "+err.Error())
			}
			for _, w := range extractK8s(f, docs, vals, append(helmTemplateHints(f), path.Base(chart))) {
				s.addWorkload(w)
			}
			return
		}
		data := read(f)
		if data == nil {
			return
		}
		docs, err := parseYAMLDocs(f, data)
		if err != nil {
			s.Errors = append(s.Errors, "envdrift: "+err.Error())
		}
		if isCompose(base, docs) {
			ws, refs := extractCompose(f, docs)
			for _, w := range ws {
				s.addWorkload(w)
			}
			s.Others = append(s.Others, refs...)
			return
		}
		for _, w := range extractK8s(f, docs, nil, nil) {
			s.addWorkload(w)
		}
	}
}

// hasShellShebang reports whether an extension-less file starts with a sh/bash shebang.
func hasShellShebang(ws *checks.Workspace, f string) bool {
	data, err := ws.ReadFile(f)
	if err != nil || !bytes.HasPrefix(data, []byte("#!")) {
		return false
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	return bytes.HasSuffix(line, []byte("sh")) || bytes.Contains(line, []byte("bash")) || bytes.Contains(line, []byte("/sh "))
}

// chartDefines collects the named templates of a chart's templates/ once per chart.
func (s *Scanned) chartDefines(ws *checks.Workspace, chart string, read func(string) []byte) map[string]helmDefine {
	if s.defines == nil {
		s.defines = map[string]map[string]helmDefine{}
	}
	if d, ok := s.defines[chart]; ok {
		return d
	}
	d := map[string]helmDefine{}
	files, _ := ws.Files()
	prefix := chart + "/templates/"
	if chart == "." {
		prefix = "templates/"
	}
	for _, f := range files {
		if strings.HasPrefix(f, prefix) {
			if ext := path.Ext(f); ext == ".tpl" || ext == ".yaml" || ext == ".yml" {
				if data := read(f); data != nil && strings.Contains(string(data), "define") {
					helmDefines(f, data, d)
				}
			}
		}
	}
	s.defines[chart] = d
	return d
}

func isCompose(base string, docs []*yaml.Node) bool {
	if strings.Contains(base, "compose") {
		return true
	}
	for _, d := range docs {
		root := d
		if len(root.Content) == 1 {
			root = root.Content[0]
		}
		if mapGet(root, "services") != nil && mapGet(root, "kind") == nil {
			return true
		}
	}
	return false
}

func (s *Scanned) addWorkload(w *Workload) {
	for _, m := range w.Env {
		m.Workload = w
	}
	s.Workloads = append(s.Workloads, w)
}

func (s *Scanned) addShell(ms []*Mention) {
	seenW := map[*Workload]bool{}
	for _, m := range ms {
		s.Others = append(s.Others, m)
		if m.Workload != nil && !seenW[m.Workload] {
			seenW[m.Workload] = true
			s.Workloads = append(s.Workloads, m.Workload)
		}
	}
}

// goStringNames returns env-looking string literals of a Go file (parsed, so comments
// do not count).
func goStringNames(src []byte) []string {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution)
	if f == nil || err != nil && f.Decls == nil {
		return nil
	}
	return literalNames(f)
}

// literalNames returns the env-looking string literals of a parsed file.
func literalNames(f *ast.File) []string {
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		if bl, ok := n.(*ast.BasicLit); ok && bl.Kind == token.STRING {
			if v, err := strconv.Unquote(bl.Value); err == nil {
				if validEnvName(v) && envNameRE.MatchString(v) && strings.ToUpper(v) == v {
					out = append(out, v)
				}
			}
		}
		return true
	})
	return out
}

// Inventory renders the per-variable inventory (DESIGN.md "inventory.env").
func (s *Scanned) Inventory() []checks.EnvVar {
	m := map[string]*checks.EnvVar{}
	get := func(n string) *checks.EnvVar {
		if m[n] == nil {
			m[n] = &checks.EnvVar{Name: n, ReadBy: []string{}, DocumentedIn: []string{}, SetIn: []string{}}
		}
		return m[n]
	}
	for _, r := range s.Go.Reads {
		v := get(r.Name)
		v.ReadBy = append(v.ReadBy, s.Go.BinariesOf(r.Pkg)...)
		v.ReadAt = append(v.ReadAt, r.Loc.String())
	}
	for _, d := range s.Docs {
		v := get(d.Name)
		v.DocumentedIn = append(v.DocumentedIn, d.Loc.String())
	}
	for _, o := range s.allSets() {
		v := get(o.Name)
		v.SetIn = append(v.SetIn, o.Loc.String())
	}
	// Variables read by prefix (koanf's env provider) are known by the names documents
	// and deployments give them.
	for _, r := range s.Go.Prefixes {
		for name, v := range m {
			if strings.HasPrefix(name, r.Prefix) {
				v.ReadBy = append(v.ReadBy, s.Go.BinariesOf(r.Pkg)...)
				v.ReadAt = append(v.ReadAt, r.Loc.String())
			}
		}
	}
	out := make([]checks.EnvVar, 0, len(m))
	for _, v := range m {
		v.ReadBy = uniq(v.ReadBy)
		v.ReadAt = uniq(v.ReadAt)
		v.DocumentedIn = uniq(v.DocumentedIn)
		v.SetIn = uniq(v.SetIn)
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// allSets lists every place that gives a variable a value (scripts, .env, Dockerfiles,
// manifests, compose), each once.
func (s *Scanned) allSets() []*Mention {
	seen := map[*Mention]bool{}
	var out []*Mention
	for _, o := range s.Others {
		if o.Set && !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	for _, w := range s.Workloads {
		for _, e := range w.Env {
			if !seen[e] {
				seen[e] = true
				out = append(out, e)
			}
		}
	}
	return out
}

func uniq(xs []string) []string {
	sort.Strings(xs)
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	if out == nil {
		return []string{}
	}
	return out
}
