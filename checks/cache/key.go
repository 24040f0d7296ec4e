package cache

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"hash"
	"io"
	"os"
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
