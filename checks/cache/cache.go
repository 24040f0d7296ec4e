// Package cache is verify's on-disk result cache, in the manner of go vet's and go test's:
// a run whose inputs are unchanged replays the previous result instead of loading and
// checking anything. Entries are addressed by a content key (see Key); the store is a
// directory of files written atomically (temp file + rename), checked by a digest when
// read (a corrupt or truncated entry is a miss, never an error) and trimmed to a size
// bound, oldest first.
package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// EnvVar names the environment variable that moves the cache (a directory) or turns it
// off ("off").
const EnvVar = "STREAMAUDIT_CACHE"

// DefaultMaxBytes bounds the size of the entries kept (trimmed oldest first).
const DefaultMaxBytes = 64 << 20

// ErrDisabled is returned by DirFromEnv when STREAMAUDIT_CACHE=off.
var ErrDisabled = errors.New("result cache disabled (" + EnvVar + "=off)")

// DirFromEnv returns the cache directory: $STREAMAUDIT_CACHE if set (ErrDisabled for
// "off"), else os.UserCacheDir()/streamaudit.
func DirFromEnv() (string, error) {
	if v := os.Getenv(EnvVar); v != "" {
		if v == "off" {
			return "", ErrDisabled
		}
		if !filepath.IsAbs(v) {
			return "", fmt.Errorf("%s=%q: want an absolute directory or off", EnvVar, v)
		}
		return v, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("result cache: %w (set %s to a directory or off)", err, EnvVar)
	}
	return filepath.Join(d, "streamaudit"), nil
}

// Cache is one cache directory.
type Cache struct {
	dir      string
	maxBytes int64
}

// Open creates dir if needed. maxBytes <= 0 means DefaultMaxBytes.
func Open(dir string, maxBytes int64) (*Cache, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if err := os.MkdirAll(filepath.Join(dir, "results"), 0o755); err != nil {
		return nil, fmt.Errorf("result cache: %w", err)
	}
	return &Cache{dir: dir, maxBytes: maxBytes}, nil
}

// Dir is the cache directory.
func (c *Cache) Dir() string { return c.dir }

const magic = "streamaudit-result v1\n"

func (c *Cache) path(k Key) string {
	h := hex.EncodeToString(k[:])
	return filepath.Join(c.dir, "results", h[:2], h)
}

// Get returns the entry stored under k. A missing, truncated or corrupt entry is a miss.
func (c *Cache) Get(k Key) ([]byte, bool) {
	p := c.path(k)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	payload, ok := decodeEntry(k, data)
	if !ok {
		return nil, false
	}
	// Mark it used for trimming (coarsely, like the go command: at most once an hour).
	if st, err := os.Stat(p); err == nil && time.Since(st.ModTime()) > time.Hour {
		now := time.Now()
		_ = os.Chtimes(p, now, now)
	}
	return payload, true
}

func encodeEntry(k Key, payload []byte) []byte {
	sum := sha256.Sum256(payload)
	var b bytes.Buffer
	b.WriteString(magic)
	b.WriteString(hex.EncodeToString(k[:]))
	b.WriteByte('\n')
	b.WriteString(hex.EncodeToString(sum[:]))
	b.WriteByte('\n')
	b.Write(payload)
	return b.Bytes()
}

func decodeEntry(k Key, data []byte) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(data, []byte(magic))
	if !ok {
		return nil, false
	}
	keyLine, rest, ok := bytes.Cut(rest, []byte{'\n'})
	if !ok || string(keyLine) != hex.EncodeToString(k[:]) {
		return nil, false
	}
	sumLine, payload, ok := bytes.Cut(rest, []byte{'\n'})
	if !ok {
		return nil, false
	}
	sum := sha256.Sum256(payload)
	if string(sumLine) != hex.EncodeToString(sum[:]) {
		return nil, false
	}
	return payload, true
}

// Put stores payload under k atomically (a reader sees the old entry, the new one or
// none, never a partial one), then trims the cache to its size bound.
func (c *Cache) Put(k Key, payload []byte) error {
	p := c.path(k)
	if err := WriteFileAtomic(p, encodeEntry(k, payload)); err != nil {
		return fmt.Errorf("result cache: %w", err)
	}
	return c.Trim()
}

// Trim removes the least recently used entries until the cache holds at most 3/4 of its
// bound, once it exceeds the bound; temp files older than an hour (a writer that died)
// go too.
func (c *Cache) Trim() error {
	type entry struct {
		path string
		size int64
		mod  time.Time
	}
	var es []entry
	var total int64
	root := filepath.Join(c.dir, "results")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".tmp-") {
			if time.Since(info.ModTime()) > time.Hour {
				os.Remove(p)
			}
			return nil
		}
		es = append(es, entry{p, info.Size(), info.ModTime()})
		total += info.Size()
		return nil
	})
	if err != nil || total <= c.maxBytes {
		return err
	}
	sort.Slice(es, func(i, j int) bool { return es[i].mod.Before(es[j].mod) })
	for _, e := range es {
		if total <= c.maxBytes*3/4 {
			break
		}
		if os.Remove(e.path) == nil {
			total -= e.size
		}
	}
	return nil
}

// WriteFileAtomic writes data to file (mode 0644, creating its directory) through a
// temp file in the same directory and a rename: a reader sees the old file, the new one
// or none, never a partial one.
func WriteFileAtomic(file string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Chmod(0o644)
	}
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), file)
	}
	if werr != nil {
		os.Remove(tmp.Name())
	}
	return werr
}
