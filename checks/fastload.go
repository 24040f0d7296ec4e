package checks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/tools/go/gcexportdata"
	"golang.org/x/tools/go/packages"

	"github.com/streamaudit/streamaudit/checks/cache"
)

// errNotExact is returned by fastLoad when it cannot reproduce go/packages exactly; the
// caller then loads with go/packages.
var errNotExact = errors.New("fast loader not exact here")

// notExact is errNotExact with the reason.
func notExact(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errNotExact, fmt.Sprintf(format, args...))
}

// FastLoad selects the loader of the export mode for local directory patterns (the
// -changed mode): FastAuto (the default) uses the fast loader and falls back to
// go/packages whenever it cannot be exact; FastOff always uses go/packages; FastOnly
// (tests) fails instead of falling back.
type FastLoad int

// FastLoad values.
const (
	FastAuto FastLoad = iota
	FastOff
	FastOnly
)

// listPackage is the part of `go list -json` the fast loader reads (the fields go/packages
// reads in the same mode, plus Standard, Incomplete and Export).
type listPackage struct {
	Name              string
	ImportPath        string
	Dir               string
	GoFiles           []string
	CgoFiles          []string
	CompiledGoFiles   []string
	IgnoredGoFiles    []string
	IgnoredOtherFiles []string
	CFiles            []string
	CXXFiles          []string
	MFiles            []string
	HFiles            []string
	FFiles            []string
	SFiles            []string
	SwigFiles         []string
	SwigCXXFiles      []string
	SysoFiles         []string
	Imports           []string
	ImportMap         map[string]string
	DepOnly           bool
	EmbedFiles        []string
	Export            string
	Module            *packages.Module
	Error             *struct{ Err string }
	DepsErrors        []*struct{ Err string }
	Incomplete        bool
}

const listFields = "Name,ImportPath,Dir,GoFiles,CgoFiles,CompiledGoFiles,IgnoredGoFiles,IgnoredOtherFiles," +
	"CFiles,CXXFiles,MFiles,HFiles,FFiles,SFiles,SwigFiles,SwigCXXFiles,SysoFiles,Imports,ImportMap,DepOnly," +
	"Module,Error,DepsErrors,Incomplete,EmbedFiles"

// fastLoad loads patterns (local patterns: ".", "./dir", "./dir/...") in the export mode
// (ExportLoadMode, own packages from source) with the same result as loadPackages'
// go/packages path, without `go list -export` over the audited module (which recompiles
// every edited package and its in-module importers only to produce export data that is
// never read, own packages being type-checked from source):
//
//  1. `go list -e -deps` (no export data) for the package graph;
//  2. `go list -e -export -compiled` over the packages outside the main module only, whose
//     export data the Go build cache serves without compiling anything;
//  3. the own packages of the closure parsed and type-checked in dependency order, the
//     external ones read from export data exactly as go/packages does (its direct imports of
//     source packages, each read with a view of its transitive closure).
//
// It returns errNotExact (and the caller loads with go/packages) whenever the result could
// differ: an external driver (GOPACKAGESDRIVER), any go list error, cgo, SWIG, assembly or
// C files in an own package, a package of another module under the root, a module that
// imports the audited one, a parse or type error in an own package (go/packages then adds
// the compiler's output, which only it reproduces), what only the compiler rejects (see
// compilerOnly), a pattern it does not handle, or an own package that go/packages would
// read from export data (one that only an import reaches when the pattern is "./...").
func (w *Workspace) fastLoad(ctx context.Context, patterns []string) ([]*packages.Package, error) {
	for _, p := range patterns {
		if p != "." && !strings.HasPrefix(p, "./") {
			return nil, notExact("pattern %q", p)
		}
	}
	// go/packages hands the load to an external driver when GOPACKAGESDRIVER names one or
	// a gopackagesdriver is on PATH.
	if d := os.Getenv("GOPACKAGESDRIVER"); d != "off" {
		if d != "" {
			return nil, notExact("GOPACKAGESDRIVER=%s", d)
		}
		if _, err := exec.LookPath("gopackagesdriver"); err == nil {
			return nil, notExact("gopackagesdriver on PATH")
		}
	}
	var tagFlags []string
	if len(w.Config.Go.Tags) > 0 {
		tagFlags = []string{"-tags=" + strings.Join(w.Config.Go.Tags, ",")}
	}
	var (
		envOut []byte
		envErr error
		wg     sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		envOut, envErr = w.GoEnv(ctx)
	}()
	args := []string{"list", "-e", "-json=" + listFields, "-compiled=false", "-test=false", "-export=false",
		"-deps=true", "-find=false", "-buildvcs=false", "-pgo=off"}
	args = append(append(args, tagFlags...), "--")
	graphOut, err := w.goCmd(ctx, append(args, patterns...)...)
	wg.Wait()
	if err != nil {
		return nil, notExact("go list: %v", err)
	}
	if envErr != nil {
		return nil, notExact("go env: %v", envErr)
	}
	var env map[string]string
	if err := json.Unmarshal(envOut, &env); err != nil {
		return nil, notExact("go env: %v", err)
	}
	// go/packages asks `go list -f "{{context.GOARCH}} {{context.Compiler}}"`: the
	// compiler is gc unless GOFLAGS says otherwise.
	if strings.Contains(env["GOFLAGS"], "-compiler") || strings.Contains(env["GOFLAGS"], "-overlay") {
		return nil, notExact("GOFLAGS %q", env["GOFLAGS"])
	}
	sizes := types.SizesFor("gc", env["GOARCH"])
	if sizes == nil {
		return nil, notExact("GOARCH %q", env["GOARCH"])
	}

	list, err := decodeList(graphOut)
	if err != nil {
		return nil, notExact("go list output: %v", err)
	}
	rootPrefix := w.Root + string(filepath.Separator)
	byPath := map[string]*listPackage{}
	var external []string
	own := map[string]bool{}
	for _, lp := range list {
		if lp.Error != nil || len(lp.DepsErrors) > 0 || lp.Incomplete || byPath[lp.ImportPath] != nil ||
			strings.Contains(lp.ImportPath, " ") {
			return nil, notExact("go list: package %s has errors", lp.ImportPath)
		}
		byPath[lp.ImportPath] = lp
		if lp.ImportPath == "unsafe" {
			continue
		}
		under := lp.Dir == w.Root || strings.HasPrefix(lp.Dir, rootPrefix)
		if lp.Module != nil && lp.Module.Main {
			// cgo, and assembly or C files, which only the build (go/packages' `go list
			// -export`) would check.
			if !under || len(lp.CgoFiles)+len(lp.SwigFiles)+len(lp.SwigCXXFiles)+len(lp.SFiles)+len(lp.CFiles)+
				len(lp.CXXFiles)+len(lp.MFiles)+len(lp.FFiles) > 0 {
				return nil, notExact("own package %s: outside the root, or cgo, assembly or C files", lp.ImportPath)
			}
			own[lp.ImportPath] = true
			continue
		}
		if under || lp.Module == nil && !isStd(lp) {
			return nil, notExact("package %s: not of the main module but under the root, or without module", lp.ImportPath) // a replace into the tree, GOPATH mode
		}
		external = append(external, lp.ImportPath)
	}

	// go/packages type-checks from source a package that imports one loaded from source
	// (possible with modules that require each other): not ours to reproduce.
	for _, path := range external {
		for _, id := range byPath[path].Imports {
			if own[id] {
				return nil, notExact("%s (another module) imports %s", path, id)
			}
		}
	}

	// Export data and compiled files of the external packages.
	if len(external) > 0 {
		if err := w.externalExports(ctx, byPath, external, tagFlags, envOut); err != nil {
			return nil, err
		}
	}

	// The packages, as go/packages' golist driver builds them.
	fset := token.NewFileSet()
	pkgs := map[string]*packages.Package{}
	for _, lp := range list {
		p := &packages.Package{
			ID: lp.ImportPath, PkgPath: lp.ImportPath, Name: lp.Name, Dir: lp.Dir,
			GoFiles:         absJoin(lp.Dir, lp.GoFiles, lp.CgoFiles),
			CompiledGoFiles: absJoin(lp.Dir, lp.CompiledGoFiles),
			OtherFiles:      absJoin(lp.Dir, lp.CFiles, lp.CXXFiles, lp.MFiles, lp.HFiles, lp.FFiles, lp.SFiles, lp.SwigFiles, lp.SwigCXXFiles, lp.SysoFiles),
			IgnoredFiles:    absJoin(lp.Dir, lp.IgnoredGoFiles, lp.IgnoredOtherFiles),
			Module:          lp.Module,
			Fset:            fset,
			TypesSizes:      sizes,
			Types:           types.NewPackage(lp.ImportPath, lp.Name),
		}
		if own[lp.ImportPath] {
			p.CompiledGoFiles = p.GoFiles // no cgo (checked above): what -compiled reports
		}
		if len(p.CompiledGoFiles) > 0 {
			kept := p.CompiledGoFiles[:0]
			for _, f := range p.CompiledGoFiles {
				if ext := filepath.Ext(f); ext != ".go" && ext != "" {
					continue
				}
				kept = append(kept, f)
			}
			p.CompiledGoFiles = kept
		}
		if p.PkgPath == "unsafe" {
			p.CompiledGoFiles = nil
		} else if len(p.CompiledGoFiles) == 0 {
			p.CompiledGoFiles = p.GoFiles
		}
		pkgs[p.ID] = p
	}
	for _, lp := range list {
		p := pkgs[lp.ImportPath]
		p.Imports = map[string]*packages.Package{}
		ids := map[string]bool{}
		for _, id := range lp.Imports {
			ids[id] = true
		}
		for path, id := range lp.ImportMap {
			delete(ids, id)
			if pkgs[id] == nil {
				return nil, notExact("%s: import %s not listed", lp.ImportPath, id)
			}
			p.Imports[path] = pkgs[id]
		}
		for id := range ids {
			if id == "C" {
				continue
			}
			if pkgs[id] == nil {
				return nil, notExact("%s: import %s not listed", lp.ImportPath, id)
			}
			p.Imports[id] = pkgs[id]
		}
	}
	if u := pkgs["unsafe"]; u != nil {
		u.Types = types.Unsafe
		u.Syntax = []*ast.File{}
		u.TypesInfo = newTypesInfo()
	}

	// The roots in go/packages' order: what `go list -deps` prints for loadPackages'
	// patterns (the sorted own closure, then the patterns), i.e. a post-order walk from each
	// in turn over Imports as go list orders them, keeping the packages the patterns named.
	var ownPaths []string
	for p := range own {
		ownPaths = append(ownPaths, p)
	}
	sort.Strings(ownPaths)
	requested := map[string]bool{}
	for _, lp := range list {
		if !lp.DepOnly {
			requested[lp.ImportPath] = true
		}
	}
	var order []*listPackage // own packages, dependencies first
	seen := map[string]bool{}
	var walk func(lp *listPackage)
	walk = func(lp *listPackage) {
		if seen[lp.ImportPath] {
			return
		}
		seen[lp.ImportPath] = true
		for _, id := range lp.Imports {
			if q := byPath[id]; q != nil {
				walk(q)
			}
		}
		if own[lp.ImportPath] {
			order = append(order, lp)
		}
	}
	for _, p := range ownPaths {
		walk(byPath[p])
	}

	// External packages imported by own packages: types from export data, each after the
	// packages it imports (as go/packages, which loads leaves first: reading a package
	// replaces its placeholder types.Package, which importers read later must see).
	needTypes := map[string]bool{}
	for _, lp := range order {
		for _, imp := range pkgs[lp.ImportPath].Imports {
			if !own[imp.ID] && imp.ID != "unsafe" {
				needTypes[imp.ID] = true
			}
		}
	}
	done := map[string]bool{}
	var readAll func(p *packages.Package) error
	readAll = func(p *packages.Package) error {
		if done[p.ID] || own[p.ID] {
			return nil
		}
		done[p.ID] = true
		ids := make([]string, 0, len(p.Imports))
		for path := range p.Imports {
			ids = append(ids, path)
		}
		sort.Strings(ids)
		for _, path := range ids {
			if err := readAll(p.Imports[path]); err != nil {
				return err
			}
		}
		if needTypes[p.ID] {
			if err := readExport(fset, p, byPath[p.ID].Export); err != nil {
				return notExact("export data of %s: %v", p.ID, err)
			}
		}
		return nil
	}
	for _, lp := range order {
		for _, imp := range pkgs[lp.ImportPath].Imports {
			if err := readAll(imp); err != nil {
				return nil, err
			}
		}
	}

	// Own packages from source, dependencies first.
	for _, lp := range order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := w.checkFromSource(fset, pkgs[lp.ImportPath], sizes, len(lp.EmbedFiles)); err != nil {
			return nil, err
		}
	}

	var out []*packages.Package
	if len(patterns) == 1 && patterns[0] == "./..." {
		// loadPackages hands "./..." to go/packages as it is: the roots are the matched
		// packages in go list's order (ours, same command), and an own package that only
		// an import reaches (below testdata, say) would come from export data there.
		for _, lp := range list {
			if !lp.DepOnly {
				if !own[lp.ImportPath] {
					return nil, notExact("%s matched but not of the main module", lp.ImportPath)
				}
				out = append(out, pkgs[lp.ImportPath])
			}
		}
		for p := range own {
			if !requested[p] {
				return nil, notExact("own package %s not matched by ./...", p)
			}
		}
	} else {
		for _, lp := range order {
			if requested[lp.ImportPath] {
				out = append(out, pkgs[lp.ImportPath])
			}
		}
	}
	if len(out) == 0 {
		return nil, notExact("no package matched")
	}
	return out, nil
}

// buildEnvVars are the go env settings that change what go list, the type checker and
// the build cache's export data are (GOFLAGS and build tags, the target platform, cgo, the
// toolchain and module sources, the build cache). GOGCCFLAGS is left out: it holds a
// per-invocation temp directory.
var buildEnvVars = []string{"GOVERSION", "GOROOT", "GOOS", "GOARCH", "GOFLAGS", "CGO_ENABLED",
	"GOEXPERIMENT", "GOTOOLCHAIN", "GOAMD64", "GOARM", "GOARM64", "GO386", "GOMIPS", "GOMIPS64",
	"GOPPC64", "GORISCV64", "GOWASM", "GOPATH", "GOMODCACHE", "GOPROXY", "GOPRIVATE", "GONOPROXY",
	"GONOSUMDB", "GOINSECURE", "GOSUMDB", "GOENV", "CC", "CXX", "CGO_CFLAGS", "CGO_CPPFLAGS",
	"CGO_CXXFLAGS", "CGO_FFLAGS", "CGO_LDFLAGS", "PKG_CONFIG", "GOCACHE", "GOFIPS140"}

// exportEntry is what the fast loader needs of an external package from `go list -export`.
type exportEntry struct {
	Path            string
	Export          string
	CompiledGoFiles []string
}

// externalExports fills Export and CompiledGoFiles of the external packages from `go list
// -export -compiled` over them (no own package, so nothing is compiled that the build cache
// does not hold). The answers are kept on disk per go.mod, go.sum, go env and build tags
// (one file mapping import paths to their entries) and reused as long as every export
// file they name still exists (the build cache trims old entries); only the packages
// missing from it are listed. Modules replaced by a directory are never cached: their
// sources may change under the same go.mod.
func (w *Workspace) externalExports(ctx context.Context, byPath map[string]*listPackage, external, tagFlags []string, envOut []byte) error {
	cacheable := true
	for _, path := range external {
		if m := byPath[path].Module; m != nil && m.Replace != nil && m.Replace.Version == "" {
			cacheable = false
		}
	}
	known := map[string]exportEntry{}
	var file string
	if dir := exportCacheDir(); dir != "" && cacheable && !w.NoDiskCache {
		h := sha256.New()
		for _, name := range []string{"go.mod", "go.sum"} {
			data, _ := os.ReadFile(filepath.Join(w.Root, name))
			fmt.Fprintf(h, "%s %d\n", name, len(data))
			h.Write(data)
		}
		fmt.Fprintf(h, "env %d\n", len(envOut))
		h.Write(envOut)
		fmt.Fprintf(h, "tags %q\n", tagFlags)
		file = filepath.Join(dir, hex.EncodeToString(h.Sum(nil)))
		if data, err := os.ReadFile(file); err == nil {
			var entries []exportEntry
			if json.Unmarshal(data, &entries) == nil {
				for _, e := range entries {
					known[e.Path] = e
				}
			}
		}
	}
	var missing []string
	for _, path := range external {
		e, ok := known[path]
		if ok && e.Export != "" {
			if _, err := os.Stat(e.Export); err == nil {
				continue
			}
		}
		delete(known, path)
		missing = append(missing, path)
	}
	if len(missing) > 0 {
		args := []string{"list", "-e", "-json=ImportPath,Dir,CompiledGoFiles,Export,Error,DepsErrors",
			"-compiled=true", "-test=false", "-export=true", "-deps=false", "-find=false", "-buildvcs=false", "-pgo=off"}
		args = append(append(args, tagFlags...), "--")
		exportLists.Add(1)
		out, err := w.goCmd(ctx, append(args, missing...)...)
		if err != nil {
			return notExact("go list -export: %v", err)
		}
		ext, err := decodeList(out)
		if err != nil || len(ext) != len(missing) {
			return notExact("go list -export output: %d of %d packages (%v)", len(ext), len(missing), err)
		}
		for i, e := range ext {
			if byPath[e.ImportPath] == nil || e.ImportPath != missing[i] || e.Error != nil || len(e.DepsErrors) > 0 || e.Export == "" {
				return notExact("go list -export: %s: no export data or errors", e.ImportPath)
			}
			export := e.Export
			if !filepath.IsAbs(export) {
				export = filepath.Join(e.Dir, export)
			}
			known[e.ImportPath] = exportEntry{Path: e.ImportPath, Export: export, CompiledGoFiles: e.CompiledGoFiles}
		}
		if file != "" {
			entries := make([]exportEntry, 0, len(known))
			for _, e := range known {
				entries = append(entries, e)
			}
			sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
			if data, err := json.Marshal(entries); err == nil {
				_ = cache.WriteFileAtomic(file, data) // best effort: a failure only costs the next run the go list
				trimExportLists(filepath.Dir(file), maxExportLists)
			}
		}
	}
	for _, path := range external {
		e := known[path]
		byPath[path].Export, byPath[path].CompiledGoFiles = e.Export, e.CompiledGoFiles
	}
	return nil
}

// exportLists counts the `go list -export` runs (tests).
var exportLists atomic.Int64

// exportCacheDir is the directory of the fast loader's export lists: "exports" in the
// result cache's directory (cache.DirFromEnv), "" when the cache is off or unusable.
func exportCacheDir() string {
	dir, err := cache.DirFromEnv()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "exports")
}

// maxExportLists bounds the export lists kept (one per go.mod, go.sum, go env and tags).
const maxExportLists = 32

// trimExportLists removes the oldest lists (by modification time) beyond max.
func trimExportLists(dir string, max int) {
	es, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type entry struct {
		name string
		mod  int64
	}
	var lists []entry
	for _, e := range es {
		if info, err := e.Info(); err == nil && e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			lists = append(lists, entry{e.Name(), info.ModTime().UnixNano()})
		}
	}
	if len(lists) <= max {
		return
	}
	sort.Slice(lists, func(i, j int) bool { return lists[i].mod > lists[j].mod })
	for _, e := range lists[max:] {
		os.Remove(filepath.Join(dir, e.name))
	}
}

// checkFromSource parses and type-checks p as go/packages does for an initial package; a
// parse or type error gives errNotExact.
func (w *Workspace) checkFromSource(fset *token.FileSet, p *packages.Package, sizes types.Sizes, embedFiles int) error {
	parse := w.packagesConfig(context.Background(), 0).ParseFile
	files := make([]*ast.File, len(p.CompiledGoFiles))
	errs := make([]error, len(p.CompiledGoFiles))
	var wg sync.WaitGroup
	for i, name := range p.CompiledGoFiles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src, err := os.ReadFile(name)
			if err != nil {
				errs[i] = err
				return
			}
			files[i], errs[i] = parse(fset, name, src)
		}()
	}
	wg.Wait()
	for i := range files {
		if errs[i] != nil || files[i] == nil {
			return notExact("%s: parse error", p.PkgPath)
		}
	}
	p.Syntax = files
	p.TypesInfo = newTypesInfo()
	var typeErr bool
	tc := &types.Config{
		Importer: importerFunc(func(path string) (*types.Package, error) {
			if path == "unsafe" {
				return types.Unsafe, nil
			}
			ip := p.Imports[path]
			if ip == nil || ip.Types == nil || !ip.Types.Complete() {
				return nil, fmt.Errorf("no complete types for %s", path)
			}
			return ip.Types, nil
		}),
		Error: func(error) { typeErr = true },
		Sizes: sizes,
	}
	if p.Module != nil && p.Module.GoVersion != "" {
		tc.GoVersion = "go" + p.Module.GoVersion
	}
	err := types.NewChecker(tc, fset, p.Types, p.TypesInfo).Files(p.Syntax)
	if err != nil || typeErr {
		return notExact("%s: type errors", p.PkgPath)
	}
	for _, imp := range p.Imports {
		if imp.IllTyped {
			return notExact("%s: ill-typed import %s", p.PkgPath, imp.ID)
		}
	}
	return compilerOnly(p, embedFiles)
}

// harmlessDirectives are the //go: directives whose misuse the compiler does not turn into
// a package error on its own (or that go list already checks).
var harmlessDirectives = map[string]bool{"build": true, "generate": true, "noinline": true,
	"nosplit": true, "norace": true, "nocheckptr": true, "fix": true}

// compilerOnly reports (errNotExact) what only the compiler could reject, which
// go/packages' `go list -export` would then report as a load error and the fast loader,
// which compiles nothing, would not: a function without a body (no assembly to provide
// it), a //go: directive other than the harmless ones, and //go:embed that breaks the
// compiler's rules (a file importing "embed", one package-level var without a value, of
// type embed.FS, or string or []byte when the package embeds a single file).
func compilerOnly(p *packages.Package, embedFiles int) error {
	for _, f := range p.Syntax {
		importsEmbed := false
		for _, imp := range f.Imports {
			importsEmbed = importsEmbed || imp.Path.Value == `"embed"`
		}
		embedOK := map[*ast.CommentGroup]bool{}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Body == nil {
					return notExact("%s: func %s without a body", p.PkgPath, d.Name.Name)
				}
			case *ast.GenDecl:
				if d.Tok != token.VAR || !importsEmbed {
					continue
				}
				for _, spec := range d.Specs {
					vs := spec.(*ast.ValueSpec)
					doc := vs.Doc
					if doc == nil && len(d.Specs) == 1 {
						doc = d.Doc
					}
					if doc == nil || len(vs.Names) != 1 || len(vs.Values) != 0 {
						continue
					}
					obj := p.TypesInfo.Defs[vs.Names[0]]
					if obj == nil {
						continue
					}
					t := obj.Type()
					ok := false
					if n, isNamed := t.(*types.Named); isNamed && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "embed" && n.Obj().Name() == "FS" {
						ok = true
					} else if b, isBasic := t.Underlying().(*types.Basic); isBasic && b.Kind() == types.String {
						ok = embedFiles == 1
					} else if sl, isSlice := t.Underlying().(*types.Slice); isSlice {
						if b, isBasic := sl.Elem().Underlying().(*types.Basic); isBasic && b.Kind() == types.Uint8 {
							ok = embedFiles == 1
						}
					}
					if ok {
						embedOK[doc] = true
					}
				}
			}
		}
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				name, ok := strings.CutPrefix(c.Text, "//go:")
				if !ok {
					continue
				}
				if i := strings.IndexAny(name, " \t"); i >= 0 {
					name = name[:i]
				}
				if name == "embed" && embedOK[cg] || harmlessDirectives[name] {
					continue
				}
				return notExact("%s: //go:%s directive", p.PkgPath, name)
			}
		}
	}
	return nil
}

// readExport reads p's export data as go/packages' loadFromExportData does: into p.Types,
// with a view of the packages of its transitive closure.
func readExport(fset *token.FileSet, p *packages.Package, file string) error {
	if p.Types != nil && p.Types.Complete() {
		return nil
	}
	view := map[string]*types.Package{}
	seen := map[*packages.Package]bool{}
	var visit func(m map[string]*packages.Package)
	visit = func(m map[string]*packages.Package) {
		for _, q := range m {
			if !seen[q] {
				seen[q] = true
				view[q.PkgPath] = q.Types
				visit(q.Imports)
			}
		}
	}
	visit(p.Imports)
	viewLen := len(view) + 1
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := gcexportdata.NewReader(f)
	if err != nil {
		return err
	}
	tpkg, err := gcexportdata.Read(r, fset, view, p.PkgPath)
	if err != nil {
		return err
	}
	if _, ok := view["go.shape"]; ok {
		viewLen++
	}
	if viewLen != len(view) {
		return fmt.Errorf("unexpected new packages reading %s", p.PkgPath)
	}
	p.Types = tpkg
	return nil
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

func newTypesInfo() *types.Info {
	return &types.Info{
		Types:        map[ast.Expr]types.TypeAndValue{},
		Defs:         map[*ast.Ident]types.Object{},
		Uses:         map[*ast.Ident]types.Object{},
		Implicits:    map[ast.Node]types.Object{},
		Instances:    map[*ast.Ident]types.Instance{},
		Scopes:       map[ast.Node]*types.Scope{},
		Selections:   map[*ast.SelectorExpr]*types.Selection{},
		FileVersions: map[*ast.File]string{},
	}
}

func absJoin(dir string, lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, f := range l {
			if !filepath.IsAbs(f) {
				f = filepath.Join(dir, f)
			}
			out = append(out, f)
		}
	}
	return out
}

// isStd reports whether lp is a standard library package (no module, under GOROOT).
func isStd(lp *listPackage) bool {
	return lp.Module == nil && !strings.Contains(strings.SplitN(lp.ImportPath, "/", 2)[0], ".")
}

func decodeList(out []byte) ([]*listPackage, error) {
	var list []*listPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		lp := new(listPackage)
		if err := dec.Decode(lp); err == io.EOF {
			return list, nil
		} else if err != nil {
			return nil, err
		}
		if lp.ImportPath == "" {
			return nil, notExact("go list: package without import path")
		}
		list = append(list, lp)
	}
}

// goCmd runs the go command in the root with the environment go/packages uses.
// GoEnv returns `go env -json` of buildEnvVars in the root (GOWORK=off, as every load
// runs), run once per workspace: the fast loader and verify's result-cache key share it.
func (w *Workspace) GoEnv(ctx context.Context) ([]byte, error) {
	w.goEnvOnce.Do(func() {
		w.goEnv, w.goEnvErr = w.goCmd(ctx, append([]string{"env", "-json"}, buildEnvVars...)...)
	})
	return w.goEnv, w.goEnvErr
}

func (w *Workspace) goCmd(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = w.Root
	cmd.Env = append(os.Environ(), "GOWORK=off", "PWD="+w.Root)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go %s: %v: %s", args[0], err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}
