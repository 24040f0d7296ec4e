package checks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"golang.org/x/tools/go/packages"
)

// Workspace is one audited tree: its root, configuration, file index and the Go packages,
// each built once per run and shared by every check.
type Workspace struct {
	Root   string // absolute
	Config *Config

	filesOnce sync.Once
	files     []string
	filesErr  error

	pkgsOnce sync.Once
	pkgs     []*packages.Package
	pkgsErr  error

	goEnvOnce sync.Once
	goEnv     []byte
	goEnvErr  error
	// PackageLoadMode, when non-zero before the first Packages call, overrides the mode
	// (and go.dependencies).
	PackageLoadMode packages.LoadMode
	// Only, when set, restricts Go loading to these patterns (the -changed mode).
	Only []string
	// Loader selects the loader of the export mode (see FastLoad); the environment
	// variable STREAMAUDIT_LOADER=gopackages forces go/packages, =fast forbids the fallback
	// (a load the fast loader cannot do exactly then fails).
	Loader FastLoad
	// FastLoaded reports, after Packages, whether the fast loader produced the packages.
	FastLoaded bool
	// NoDiskCache, when set, keeps the loader from reading or writing anything it keeps
	// between runs (the fast loader's export lists); verify -cache=false sets it, so that
	// a run without the result cache also lists every dependency afresh.
	NoDiskCache bool
}

// NewWorkspace opens root with cfg (nil: the root's .streamaudit.yaml or defaults).
func NewWorkspace(root string, cfg *Config) (*Workspace, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("audit root: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("audit root %s: not a directory", root)
	}
	if cfg == nil {
		p := filepath.Join(abs, ".streamaudit.yaml")
		if _, err := os.Stat(p); err == nil {
			cfg, err = LoadConfig(p)
			if err != nil {
				return nil, err
			}
		} else {
			cfg = DefaultConfig()
		}
	}
	return &Workspace{Root: abs, Config: cfg}, nil
}

// Files lists every regular file of the tree, root-relative with forward slashes, sorted:
// in a git work tree the tracked and untracked-but-not-ignored files, elsewhere a walk.
// Excluded globs, .git and symlinks that leave the root are left out.
func (w *Workspace) Files() ([]string, error) {
	w.filesOnce.Do(func() { w.files, w.filesErr = w.listFiles() })
	return w.files, w.filesErr
}

func (w *Workspace) listFiles() ([]string, error) {
	var names []string
	cmd := exec.Command("git", "ls-files", "-co", "--exclude-standard", "-z")
	cmd.Dir = w.Root
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err == nil {
		for _, n := range strings.Split(out.String(), "\x00") {
			if n != "" {
				names = append(names, n)
			}
		}
	} else {
		err := filepath.WalkDir(w.Root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // unreadable entries are skipped
			}
			if d.IsDir() {
				if d.Name() == ".git" || d.Name() == "node_modules" {
					return filepath.SkipDir
				}
				return nil
			}
			rel, _ := filepath.Rel(w.Root, p)
			names = append(names, filepath.ToSlash(rel))
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var files []string
	for _, n := range names {
		if MatchAny(w.Config.Exclude, n) {
			continue
		}
		if !w.inside(n) {
			continue
		}
		files = append(files, n)
	}
	sort.Strings(files)
	return files, nil
}

// inside reports whether rel is a regular file whose real path stays below the root.
func (w *Workspace) inside(rel string) bool {
	p := filepath.Join(w.Root, filepath.FromSlash(rel))
	st, err := os.Lstat(p)
	if err != nil {
		return false
	}
	if st.Mode()&os.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return false
		}
		rootReal, err := filepath.EvalSymlinks(w.Root)
		if err != nil {
			return false
		}
		r, err := filepath.Rel(rootReal, real)
		if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return false
		}
		st, err = os.Stat(real)
		if err != nil {
			return false
		}
	}
	return st.Mode().IsRegular()
}

// Glob returns the indexed files matching any of the patterns.
func (w *Workspace) Glob(patterns []string) ([]string, error) {
	files, err := w.Files()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		if MatchAny(patterns, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// ErrOutsideRoot is returned for paths that leave the audited root.
var ErrOutsideRoot = errors.New("path leaves the audited root")

// ReadFile reads a root-relative file, refusing paths (or symlinks) that leave the root.
func (w *Workspace) ReadFile(rel string) ([]byte, error) {
	clean := filepath.ToSlash(filepath.Clean(filepath.FromSlash(rel)))
	if clean == ".." || strings.HasPrefix(clean, "../") || filepath.IsAbs(rel) {
		return nil, fmt.Errorf("%s: %w", rel, ErrOutsideRoot)
	}
	if !w.inside(clean) {
		if _, err := os.Lstat(filepath.Join(w.Root, clean)); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", rel, ErrOutsideRoot)
	}
	return os.ReadFile(filepath.Join(w.Root, filepath.FromSlash(clean)))
}

// Rel converts an absolute path to a root-relative slash path (unchanged if outside).
func (w *Workspace) Rel(abs string) string {
	r, err := filepath.Rel(w.Root, abs)
	if err != nil || strings.HasPrefix(r, "..") {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(r)
}

// DefaultLoadMode is the source mode (go.dependencies: source): full syntax and types for
// the audited module, and every dependency type-checked from source without function
// bodies (see Packages).
const DefaultLoadMode = packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles |
	packages.NeedImports | packages.NeedDeps | packages.NeedTypes | packages.NeedSyntax |
	packages.NeedTypesInfo | packages.NeedTypesSizes | packages.NeedModule

// ExportLoadMode is the default mode (go.dependencies: export): the loaded patterns get
// syntax and types from source, every other package (the standard library, third-party
// modules) only its types, read from the compiler's export data (`go list -export`, served
// by the Go build cache). Packages loaded this way have Types but no Syntax and no TypesInfo.
const ExportLoadMode = DefaultLoadMode &^ packages.NeedDeps

// Packages loads the configured Go packages once per run (go/packages, never executing
// the audited code beyond `go list`) and returns the packages matched by the patterns
// (config go.packages, or Only), their imports reachable through Imports.
//
// With go.dependencies: export (the default), the audited module's own packages are
// type-checked from source and everything outside it comes from export data; own packages
// that the patterns do not name but that they import are still loaded from source (so that
// analyzer facts flow across all of the module's packages, also in -changed mode).
// With go.dependencies: source, dependencies are type-checked from source too, with the
// function bodies of files outside the root dropped while parsing (their declarations and
// doc comments stay, so dependency functions marked as security providers are seen).
// Package-level errors stay on each package.
//
// In the export mode, local patterns ("./...", "./dir", the -changed packages) are loaded
// by fastLoad, which gives the same packages without `go list -export` over the module
// (which would recompile every edited package and its importers), and falls back to
// go/packages by itself wherever it cannot be exact (see fastLoad, Loader).
func (w *Workspace) Packages(ctx context.Context) ([]*packages.Package, error) {
	w.pkgsOnce.Do(func() { w.pkgs, w.pkgsErr = w.loadPackages(ctx) })
	return w.pkgs, w.pkgsErr
}

// ExportDeps reports whether dependencies are loaded from export data (go.dependencies).
func (w *Workspace) ExportDeps() bool {
	return w.Config.Go.Dependencies != DepsSource && w.PackageLoadMode == 0
}

func (w *Workspace) packagesConfig(ctx context.Context, mode packages.LoadMode) *packages.Config {
	rootPrefix := w.Root + string(filepath.Separator)
	cfg := &packages.Config{
		Context: ctx,
		Mode:    mode,
		Dir:     w.Root,
		Tests:   false,
		Env:     append(os.Environ(), "GOWORK=off"), // never -mod=mod: the audited go.mod is not ours to edit
		ParseFile: func(fset *token.FileSet, filename string, src []byte) (*ast.File, error) {
			f, err := parser.ParseFile(fset, filename, src, parser.ParseComments|parser.SkipObjectResolution)
			if f != nil && !strings.HasPrefix(filename, rootPrefix) {
				for _, d := range f.Decls {
					if fd, ok := d.(*ast.FuncDecl); ok {
						fd.Body = nil
					}
				}
			}
			return f, err
		},
	}
	if len(w.Config.Go.Tags) > 0 {
		cfg.BuildFlags = []string{"-tags=" + strings.Join(w.Config.Go.Tags, ",")}
	}
	return cfg
}

func (w *Workspace) loadPackages(ctx context.Context) ([]*packages.Package, error) {
	mode := w.PackageLoadMode
	if mode == 0 {
		mode = DefaultLoadMode
		if w.ExportDeps() {
			mode = ExportLoadMode
		}
	}
	patterns := w.Config.Go.Packages
	if len(w.Only) > 0 {
		patterns = w.Only
	}
	rootPrefix := w.Root + string(filepath.Separator)
	if mode == ExportLoadMode && w.Loader != FastOff && os.Getenv("STREAMAUDIT_LOADER") != "gopackages" {
		pkgs, err := w.fastLoad(ctx, patterns)
		if err == nil {
			w.FastLoaded = true
			return pkgs, nil
		}
		if !errors.Is(err, errNotExact) || w.Loader == FastOnly || os.Getenv("STREAMAUDIT_LOADER") == "fast" {
			return nil, err
		}
	}
	var requested map[string]bool
	if mode&packages.NeedDeps == 0 && !(len(patterns) == 1 && patterns[0] == "./...") {
		// The patterns may leave out own packages that they import: name those too, so
		// that they are loaded from source, and return only what the patterns matched.
		closure, req, err := w.ownClosure(ctx, patterns)
		if err != nil {
			return nil, err
		}
		patterns, requested = closure, req
	}
	pkgs, err := packages.Load(w.packagesConfig(ctx, mode), patterns...)
	if err != nil {
		return nil, err
	}
	if mode&packages.NeedDeps != 0 {
		dropBodyArtifacts(pkgs, rootPrefix)
	} else {
		dropCompileEchoes(pkgs)
	}
	if requested != nil {
		kept := pkgs[:0:0]
		for _, p := range pkgs {
			if requested[p.ID] {
				kept = append(kept, p)
			}
		}
		pkgs = kept
	}
	return pkgs, nil
}

// ownClosure lists the patterns' packages and the audited module's packages they import
// (`go list -deps` without export data or type-checking), as import paths, with the set of
// package IDs the patterns themselves matched.
func (w *Workspace) ownClosure(ctx context.Context, patterns []string) ([]string, map[string]bool, error) {
	cfg := w.packagesConfig(ctx, packages.NeedName|packages.NeedImports|packages.NeedDeps|packages.NeedModule|packages.NeedFiles)
	cfg.ParseFile = nil
	roots, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, nil, err
	}
	requested := map[string]bool{}
	for _, p := range roots {
		requested[p.ID] = true
	}
	seen := map[string]bool{}
	var out []string
	packages.Visit(roots, nil, func(p *packages.Package) {
		if (requested[p.ID] || w.Owns(p)) && !seen[p.PkgPath] && p.PkgPath != "" {
			seen[p.PkgPath] = true
			out = append(out, p.PkgPath)
		}
	})
	sort.Strings(out)
	// The patterns themselves too: one that matched nothing loadable keeps its error.
	return append(out, patterns...), requested, nil
}

// HasGo reports whether the root holds a go.mod.
// NestedModules returns the directories (root-relative, slash-separated, sorted) below
// the root that hold a go.mod of their own, among the workspace's files (excludes
// applied): Go modules that loading the root's module does not reach.
func (w *Workspace) NestedModules() ([]string, error) {
	files, err := w.Files()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		if path.Base(f) == "go.mod" && f != "go.mod" {
			out = append(out, path.Dir(f))
		}
	}
	sort.Strings(out)
	return out, nil
}

func (w *Workspace) HasGo() bool {
	_, err := os.Stat(filepath.Join(w.Root, "go.mod"))
	return err == nil
}

// dropBodyArtifacts removes the type errors that dropping the function bodies of
// dependencies causes ("imported and not used", "missing function body", "func init
// must have a body"), and recomputes IllTyped, so that analyzers
// (which skip ill-typed packages and their importers) still run. Errors of packages
// under the root are kept untouched.
func dropBodyArtifacts(pkgs []*packages.Package, rootPrefix string) {
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		outside := true
		for _, f := range p.CompiledGoFiles {
			if strings.HasPrefix(f, rootPrefix) {
				outside = false
			}
		}
		if outside && len(p.Errors) > 0 {
			kept := p.Errors[:0]
			for _, e := range p.Errors {
				if e.Kind == packages.TypeError && bodyArtifact(e.Msg) {
					continue
				}
				kept = append(kept, e)
			}
			p.Errors = kept
		}
		ill := len(p.Errors) > 0
		for _, imp := range p.Imports {
			ill = ill || imp.IllTyped
		}
		p.IllTyped = ill
	})
}

// dropCompileEchoes removes, from packages type-checked from source, the compiler output
// that `go list -export` attaches when it cannot build the package ("# path\nfile:line:
// msg"): the type checker reports the same errors with positions. A compile failure without
// any type error (nothing else explains it) is kept.
func dropCompileEchoes(pkgs []*packages.Package) {
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		if p.TypesInfo == nil {
			return
		}
		typeErr := false
		for _, e := range p.Errors {
			typeErr = typeErr || e.Kind == packages.TypeError
		}
		if !typeErr {
			return
		}
		kept := p.Errors[:0]
		for _, e := range p.Errors {
			if e.Kind == packages.ListError && strings.HasPrefix(e.Msg, "# ") {
				continue
			}
			kept = append(kept, e)
		}
		p.Errors = kept
	})
}

func bodyArtifact(msg string) bool {
	for _, m := range []string{"and not used", "missing function body", "must have a body"} {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// Owns reports whether p belongs to the audited tree: the main module, or (without module
// information) a package whose files lie under the root. Dependencies and the standard
// library are not the audited code.
func (w *Workspace) Owns(p *packages.Package) bool {
	if p.Module != nil {
		return p.Module.Main
	}
	prefix := w.Root + string(filepath.Separator)
	for _, files := range [][]string{p.GoFiles, p.CompiledGoFiles} {
		for _, f := range files {
			if strings.HasPrefix(f, prefix) {
				return true
			}
		}
	}
	return false
}

// NestedModuleDirs lists the directories (slash-terminated, root-relative) below the root
// that hold their own go.mod: separate projects such as fixtures, audited on their own.
func NestedModuleDirs(files []string) []string {
	var out []string
	for _, f := range files {
		if path.Base(f) == "go.mod" && f != "go.mod" {
			out = append(out, path.Dir(f)+"/")
		}
	}
	return out
}

// UnderAny reports whether the root-relative file lies below one of the dirs
// (slash-terminated, as NestedModuleDirs returns them).
func UnderAny(file string, dirs []string) bool {
	for _, d := range dirs {
		if strings.HasPrefix(file, d) {
			return true
		}
	}
	return false
}
