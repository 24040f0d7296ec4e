package cache

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/streamaudit/streamaudit/checks"
)

// Key is a content key: the SHA-256 of every input of a result.
type Key [32]byte

// Hasher accumulates named inputs into a Key. Every input is length-prefixed, so no two
// different input lists give the same byte stream.
type Hasher struct{ h hash.Hash }

// NewHasher starts a key for one kind of result.
func NewHasher(kind string) *Hasher {
	h := &Hasher{h: sha256.New()}
	h.AddString("kind", kind)
	return h
}

// Add adds one named input.
func (h *Hasher) Add(name string, value []byte) {
	var n [8]byte
	for _, b := range [][]byte{[]byte(name), value} {
		binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
		h.h.Write(n[:])
		h.h.Write(b)
	}
}

// AddString adds one named string input.
func (h *Hasher) AddString(name, value string) { h.Add(name, []byte(value)) }

// Sum returns the key of everything added so far.
func (h *Hasher) Sum() Key {
	var k Key
	copy(k[:], h.h.Sum(nil))
	return k
}

// Uncacheable says why a result cannot be cached: one of its inputs is outside what the
// key covers.
type Uncacheable struct{ Reason string }

func (u *Uncacheable) Error() string { return "result not cacheable: " + u.Reason }

// goSourceExt are the files go list reads for a package (besides go.mod, go.sum).
var goSourceExt = map[string]bool{".go": true, ".s": true, ".S": true, ".c": true, ".h": true, ".cc": true,
	".cpp": true, ".cxx": true, ".hh": true, ".hpp": true, ".hxx": true, ".m": true, ".f": true, ".F": true,
	".for": true, ".f90": true, ".syso": true, ".swig": true, ".swigcxx": true}

// AddWorkspace adds what the checks of ws read: the root, the configuration file, the
// path and contents of every indexed file (Workspace.Files), and the Go inputs the index
// may leave out (git-ignored or excluded .go/.s/.c... files, go.mod and go.sum below the
// root, vendor/), which go list reads anyway. A go.mod replace directive that points to a
// directory outside the root makes the result Uncacheable (its files are not hashed).
func AddWorkspace(h *Hasher, ws *checks.Workspace) error {
	h.AddString("root", ws.Root)
	if f := ws.Config.File; f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			return &Uncacheable{Reason: "config " + f + ": " + err.Error()}
		}
		abs, _ := filepath.Abs(f)
		h.AddString("config", abs)
		h.Add("config-data", data)
	} else {
		h.AddString("config", "(defaults)")
	}
	files, err := ws.Files()
	if err != nil {
		return &Uncacheable{Reason: "listing files: " + err.Error()}
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
		return &Uncacheable{Reason: err.Error()}
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
			return &Uncacheable{Reason: "go.mod replaces a module with " + dir + ", outside the audited root"}
		}
	}
	return nil
}

// AddToolchain adds the go command's settings as verify's loader sees them (the
// workspace's `go env`, run in the root with GOWORK=off, which includes `go env -w`
// settings and toolchain switching by go.mod), without running go list.
func AddToolchain(ctx context.Context, h *Hasher, ws *checks.Workspace) error {
	out, err := ws.GoEnv(ctx)
	if err != nil {
		return &Uncacheable{Reason: err.Error()}
	}
	h.Add("go-env", out)
	return nil
}

// AddExecutable adds the identity of the running verify binary: its Go build ID (which
// ends in a hash of the binary's content, so every rebuilt binary differs), or the
// SHA-256 of the whole file when it has none.
func AddExecutable(h *Hasher) error {
	exe, err := os.Executable()
	if err != nil {
		return &Uncacheable{Reason: "own executable: " + err.Error()}
	}
	if id := buildID(exe); id != "" {
		h.AddString("exe-buildid", id)
		return nil
	}
	f, err := os.Open(exe)
	if err != nil {
		return &Uncacheable{Reason: "own executable: " + err.Error()}
	}
	defer f.Close()
	s := sha256.New()
	if _, err := io.Copy(s, f); err != nil {
		return &Uncacheable{Reason: "own executable: " + err.Error()}
	}
	h.Add("exe-sha256", s.Sum(nil))
	return nil
}

// buildID reads the Go build ID of an executable: the ELF note .note.go.buildid, or the
// "\xff Go build ID: " marker near the start of other formats. "" if none.
func buildID(exe string) string {
	if f, err := elf.Open(exe); err == nil {
		defer f.Close()
		if s := f.Section(".note.go.buildid"); s != nil {
			if data, err := s.Data(); err == nil && len(data) > 16 {
				nameSize := binary.LittleEndian.Uint32(data[0:])
				descSize := int(binary.LittleEndian.Uint32(data[4:]))
				if nameSize == 4 && string(data[12:16]) == "Go\x00\x00" && 16+descSize <= len(data) {
					return string(data[16 : 16+descSize])
				}
			}
		}
		return ""
	}
	f, err := os.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	buf := make([]byte, 32<<10)
	n, _ := io.ReadFull(f, buf)
	buf = buf[:n]
	const marker = "\xff Go build ID: \""
	i := bytes.Index(buf, []byte(marker))
	if i < 0 {
		return ""
	}
	rest := buf[i+len(marker):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}
