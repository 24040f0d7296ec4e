package envelope

import (
	"reflect"
	"strings"
	"testing"
)

// fastCases are values decodeFast must decode exactly as encoding/json does, or leave to
// it: escapes, case-folded or duplicate keys, null, floats, nesting, trailing data, bad
// syntax inside the payload.
var fastCases = []string{
	`{"v":1,"thread_id":"t-1","seq":7,"kind":"quality","ts":"2026-01-02T03:04:05Z","payload":{"a":1}}`,
	` {"v":1, "thread_id" : "t", "seq":18446744073709551615,"kind":"k","ts":"2026-01-02T03:04:05.123+02:00","payload":[1,-2.5e+3,true,false,null,"x\"\u00e9\\",{}]} ` + "\n",
	`{"payload":{"n":1,"score":0.500,"pad":"` + strings.Repeat("x", 900) + `"},"ts":"2026-01-02T03:04:05Z","kind":"k","seq":1,"thread_id":"t","v":1}`,
	`{"v":-0,"thread_id":"t","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z"}`,
	`{"v":-3,"thread_id":"tä","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z"}`,
	`{"v":1,"thread_id":"t\u0041","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z"}`,
	`{"V":1,"Thread_ID":"t","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z"}`,
	`{"v":1,"v":2,"thread_id":"t","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z"}`,
	`{"v":1.0,"thread_id":"t","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z"}`,
	`{"v":1,"thread_id":"t","seq":1e3,"kind":"k","ts":"2026-01-02T03:04:05Z"}`,
	`{"v":1,"thread_id":"t","seq":01,"kind":"k","ts":"2026-01-02T03:04:05Z"}`,
	`{"v":1,"thread_id":"t","seq":18446744073709551616,"kind":"k","ts":"2026-01-02T03:04:05Z"}`,
	`{"v":99999999999,"thread_id":"t","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z"}`,
	`{"v":null,"thread_id":null,"seq":1,"kind":"k","ts":null,"payload":null}`,
	`{"v":1,"thread_id":"t","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z","payload":{"a":01}}`,
	`{"v":1,"thread_id":"t","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z","payload":{"a":"\x"}}`,
	`{"v":1,"thread_id":"t","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z","payload":[1,]}`,
	`{"v":1,"thread_id":"t","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z","payload":"` + "\xff\xfe" + `"}`,
	`{"v":1,"thread_id":"` + "\xff" + `","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z"}`,
	`{"v":1,"thread_id":"t","seq":1,"kind":"k","ts":"2026-01-02 03:04:05"}`,
	`{"v":1,"thread_id":"t","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z"}}`,
	`{"v":1,"thread_id":"t","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z"} {}`,
	`{"v":1,"thread_id":"t","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z",}`,
	`{"v":1,"thread_id":"t","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z","payload":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`,
	`{}`, ``, `[]`, `{"v":1`, `"x"`,
}

// checkSame fails when decodeFast accepts b but encoding/json does not, or decodes it
// differently.
func checkSame(t *testing.T, b []byte) (fast bool) {
	t.Helper()
	got, ok := decodeFast(b)
	if !ok {
		return false
	}
	want, err := decodeJSON(b)
	if err != nil {
		t.Fatalf("%q: decodeFast accepted, encoding/json: %v", b, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: decodeFast %+v, encoding/json %+v", b, got, want)
	}
	return true
}

func TestDecodeFastMatchesJSON(t *testing.T) {
	fast := 0
	for _, c := range fastCases {
		if checkSame(t, []byte(c)) {
			fast++
		}
	}
	// the plain shapes must take the fast path, or the benchmark measures nothing new
	for _, c := range fastCases[:5] {
		if _, ok := decodeFast([]byte(c)); !ok {
			t.Errorf("%.80q: not decoded by the fast path", c)
		}
	}
	if fast == len(fastCases) {
		t.Fatal("every case took the fast path: the fallback is untested")
	}
}

func FuzzDecodeFast(f *testing.F) {
	for _, c := range fastCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkSame(t, b) })
}

func TestHasControl(t *testing.T) {
	for n := 0; n <= 20; n++ {
		for pos := 0; pos < n; pos++ {
			for _, c := range []byte{0x00, 0x1f, 0x20, 0x7f, 0x80, 0xff, '"'} {
				b := []byte(strings.Repeat("a", n))
				b[pos] = c
				want := c < 0x20
				if got := hasControl(b); got != want {
					t.Fatalf("hasControl(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
}

func TestDecodePayloadIsTheRawValue(t *testing.T) {
	b := []byte(`{"v":1,"thread_id":"t","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z","payload": {"a" : [1, "x"]} }`)
	e, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if string(e.Payload) != `{"a" : [1, "x"]}` || cap(e.Payload) != len(e.Payload) {
		t.Fatalf("payload %q (cap %d)", e.Payload, cap(e.Payload))
	}
}
