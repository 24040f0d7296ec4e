package verifycmd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/checks/cache"
)

// The parts of the result-cache key that read the workspace (package cache itself knows
// nothing of checks, so that the loader in checks can share its directory and writes).

// goSourceExt are the files go list reads for a package (besides go.mod, go.sum).
var goSourceExt = map[string]bool{".go": true, ".s": true, ".S": true, ".c": true, ".h": true, ".cc": true,
	".cpp": true, ".cxx": true, ".hh": true, ".hpp": true, ".hxx": true, ".m": true, ".f": true, ".F": true,
	".for": true, ".f90": true, ".syso": true, ".swig": true, ".swigcxx": true}

// addWorkspace adds what the checks of ws read: the root, the configuration file, the
// path and contents of every indexed file (Workspace.Files), and the Go inputs the index
// may leave out (git-ignored or excluded .go/.s/.c... files, go.mod and go.sum below the
// root, vendor/), which go list reads anyway. A go.mod replace directive that points to a
// directory outside the root makes the result Uncacheable (its files are not hashed).
func addWorkspace(h *cache.Hasher, ws *checks.Workspace) error {
	h.AddString("root", ws.Root)
	if f := ws.Config.File; f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			return &cache.Uncacheable{Reason: "config " + f + ": " + err.Error()}
		}
		abs, _ := filepath.Abs(f)
		h.AddString("config", abs)
		h.Add("config-data", data)
	} else {
		h.AddString("config", "(defaults)")
	}
	files, err := ws.Files()
	if err != nil {
		return &cache.Uncacheable{Reason: "listing files: " + err.Error()}
	}
	indexed := make(map[string]bool, len(files))
	for _, f := range files {
		indexed[f] = true
		data, err := ws.ReadFile(f)
		if err != nil {
			h.AddString("file-error:"+f, err.Error())
			continue
		}
		sum := sha256.Sum256(data)
		h.Add("file:"+f, sum[:])
	}
	// Go inputs outside the index: walk as go list ./... does (it skips testdata and
	// directories starting with . or _), plus vendor.
	err = filepath.WalkDir(ws.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if p != ws.Root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if !goSourceExt[filepath.Ext(name)] && name != "go.mod" && name != "go.sum" && name != "modules.txt" {
			return nil
		}
		rel := ws.Rel(p)
		if indexed[rel] {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(data)
		h.Add("extra:"+rel, sum[:])
		return nil
	})
	if err != nil {
		return &cache.Uncacheable{Reason: err.Error()}
	}
	return checkReplaces(ws.Root)
}

// checkReplaces rejects go.mod replace directives with a directory target outside root.
func checkReplaces(root string) error {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil // no Go module: nothing to replace
	}
	inBlock := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		switch {
		case inBlock && line == ")":
			inBlock = false
			continue
		case line == "replace (":
			inBlock = true
			continue
		case strings.HasPrefix(line, "replace "):
			line = strings.TrimPrefix(line, "replace ")
		case !inBlock:
			continue
		}
		_, target, ok := strings.Cut(line, "=>")
		if !ok {
			continue
		}
		fields := strings.Fields(target)
		if len(fields) == 0 {
			continue
		}
		dir := strings.Trim(fields[0], `"`)
		if !(strings.HasPrefix(dir, "./") || strings.HasPrefix(dir, "../") || filepath.IsAbs(dir) || dir == "." || dir == "..") {
			continue // a module path: its content is pinned by go.sum
		}
		abs := dir
		if !filepath.IsAbs(dir) {
			abs = filepath.Join(root, dir)
		}
		rel, err := filepath.Rel(root, abs)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return &cache.Uncacheable{Reason: "go.mod replaces a module with " + dir + ", outside the audited root"}
		}
	}
	return nil
}

// addToolchain adds the go command's settings as verify's loader sees them (the
// workspace's `go env`, run in the root with GOWORK=off, which includes `go env -w`
// settings and toolchain switching by go.mod), without running go list.
func addToolchain(ctx context.Context, h *cache.Hasher, ws *checks.Workspace) error {
	out, err := ws.GoEnv(ctx)
	if err != nil {
		return &cache.Uncacheable{Reason: err.Error()}
	}
	h.Add("go-env", out)
	return nil
}
