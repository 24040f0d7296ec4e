package envelope

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"unicode/utf8"
)

// decodeFast parses the common shape of an envelope (the six fields spelt exactly,
// strings without escapes, integer numbers) in one pass without reflection. It returns
// ok=false for anything else, valid or not, and Decode then runs encoding/json: every
// error message still comes from encoding/json, and whatever decodeFast accepts
// encoding/json decodes to the same Envelope (tests compare the two on every case).
func decodeFast(b []byte) (e Envelope, ok bool) {
	p := fastParser{b: b}
	p.ws()
	if !p.byte('{') {
		return e, false
	}
	var seen uint8
	p.ws()
	if p.byte('}') {
		return e, p.end()
	}
	for {
		p.ws()
		key, ok := p.plainString()
		if !ok {
			return e, false
		}
		p.ws()
		if !p.byte(':') {
			return e, false
		}
		p.ws()
		var bit uint8
		switch string(key) {
		case "v":
			bit = 1
			n, ok := p.uint(true)
			if !ok || n > 1<<31 { // keeps int conversion exact on every platform
				return e, false
			}
			e.V = int(n)
			if p.neg {
				e.V = -e.V
			}
		case "thread_id":
			bit = 2
			s, ok := p.plainString()
			if !ok {
				return e, false
			}
			e.ThreadID = string(s)
		case "seq":
			bit = 4
			n, ok := p.uint(false)
			if !ok {
				return e, false
			}
			e.Seq = n
		case "kind":
			bit = 8
			s, ok := p.plainString()
			if !ok {
				return e, false
			}
			e.Kind = string(s)
		case "ts":
			bit = 16
			start := p.i
			if _, ok := p.plainString(); !ok {
				return e, false
			}
			// exactly what encoding/json does with a json.Unmarshaler: the raw value
			if err := e.TS.UnmarshalJSON(b[start:p.i]); err != nil {
				return e, false
			}
		case "payload":
			bit = 32
			start := p.i
			if p.i < len(b) && b[p.i] == 'n' { // null: leave it to encoding/json
				return e, false
			}
			if !p.value(0) {
				return e, false
			}
			e.Payload = json.RawMessage(b[start:p.i:p.i]) // shares b (see Decode)
		default:
			return e, false
		}
		if seen&bit != 0 { // duplicate key: encoding/json's rules apply
			return e, false
		}
		seen |= bit
		p.ws()
		if p.byte(',') {
			continue
		}
		if p.byte('}') {
			return e, p.end()
		}
		return e, false
	}
}

type fastParser struct {
	b   []byte
	i   int
	neg bool // sign of the last uint(true)
}

func (p *fastParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *fastParser) byte(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (p *fastParser) end() bool {
	p.ws()
	return p.i == len(p.b)
}

// plainString reads a string with no escapes, no control characters and valid UTF-8
// (which encoding/json would decode to exactly these bytes) and returns its contents.
func (p *fastParser) plainString() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	start := p.i
	ascii := true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= 0x80:
			ascii = false
		}
		p.i++
	}
	return nil, false
}

// uint reads a JSON integer (no fraction or exponent) that fits in a uint64; a leading
// minus sign is accepted only when signed, and recorded in p.neg.
func (p *fastParser) uint(signed bool) (uint64, bool) {
	p.neg = false
	if signed && p.byte('-') {
		p.neg = true
	}
	start := p.i
	var n uint64
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		d := uint64(p.b[p.i] - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
		p.i++
	}
	switch {
	case p.i == start, p.i-start > 1 && p.b[start] == '0':
		return 0, false
	case p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E'):
		return 0, false
	}
	return n, true
}

// value skips one syntactically valid JSON value (the grammar encoding/json's scanner
// accepts; like it, string bytes are not checked for UTF-8).
func (p *fastParser) value(depth int) bool {
	if depth > 512 {
		return false
	}
	if p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		p.i++
		p.ws()
		if p.byte('}') {
			return true
		}
		for {
			p.ws()
			if !p.str() {
				return false
			}
			p.ws()
			if !p.byte(':') {
				return false
			}
			p.ws()
			if !p.value(depth + 1) {
				return false
			}
			p.ws()
			if p.byte(',') {
				continue
			}
			return p.byte('}')
		}
	case c == '[':
		p.i++
		p.ws()
		if p.byte(']') {
			return true
		}
		for {
			p.ws()
			if !p.value(depth + 1) {
				return false
			}
			p.ws()
			if p.byte(',') {
				continue
			}
			return p.byte(']')
		}
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.lit("true")
	case c == 'f':
		return p.lit("false")
	case c == 'n':
		return p.lit("null")
	}
	return false
}

func (p *fastParser) lit(s string) bool {
	if len(p.b)-p.i >= len(s) && string(p.b[p.i:p.i+len(s)]) == s {
		p.i += len(s)
		return true
	}
	return false
}

// str skips a JSON string, escapes included. The runs between escapes are found with
// bytes.IndexByte and only checked for control characters.
func (p *fastParser) str() bool {
	if !p.byte('"') {
		return false
	}
	for {
		rest := p.b[p.i:]
		q := bytes.IndexByte(rest, '"')
		if q < 0 {
			return false
		}
		run := rest[:q]
		if e := bytes.IndexByte(run, '\\'); e >= 0 {
			run = run[:e]
		}
		if hasControl(run) {
			return false
		}
		p.i += len(run)
		if len(run) == q { // closing quote
			p.i++
			return true
		}
		p.i++ // backslash
		if p.i >= len(p.b) {
			return false
		}
		switch p.b[p.i] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			p.i++
		case 'u':
			if len(p.b)-p.i < 5 {
				return false
			}
			for _, h := range p.b[p.i+1 : p.i+5] {
				if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
					return false
				}
			}
			p.i += 5
		default:
			return false
		}
	}
}

// hasControl reports whether b holds a byte below 0x20, eight bytes at a time (a byte
// x < 0x20 is one where x - 0x20 borrows into its top bit while x's own top bit is 0).
func hasControl(b []byte) bool {
	const lo, hi = 0x2020202020202020, 0x8080808080808080
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		if (x-lo)&^x&hi != 0 {
			return true
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// number skips -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *fastParser) number() bool {
	p.byte('-')
	digits := func() int {
		s := p.i
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
		}
		return p.i - s
	}
	start := p.i
	n := digits()
	if n == 0 || (n > 1 && p.b[start] == '0') {
		return false
	}
	if p.byte('.') && digits() == 0 {
		return false
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if !p.byte('+') {
			p.byte('-')
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}
