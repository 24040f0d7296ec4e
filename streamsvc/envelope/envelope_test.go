package envelope_test

import (
	"strings"
	"testing"
	"time"

	"github.com/streamaudit/streamaudit/streamsvc/envelope"
)

func TestDecode(t *testing.T) {
	ok := `{"v":1,"thread_id":"t-1","seq":7,"kind":"quality","ts":"2026-01-02T03:04:05Z","payload":{"a":1}}`
	e, err := envelope.Decode([]byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	if e.ThreadID != "t-1" || e.Seq != 7 || e.Kind != "quality" || !e.TS.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) || string(e.Payload) != `{"a":1}` {
		t.Fatalf("decoded %+v", e)
	}
	cases := []struct{ in, kind, msg string }{
		{``, envelope.ErrKindDecode, "EOF"},
		{`not json`, envelope.ErrKindDecode, "invalid character"},
		{`[1,2]`, envelope.ErrKindDecode, "cannot unmarshal array"},
		{`{"v":1,"thread_id":"t","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z","extra":1}`, envelope.ErrKindDecode, `unknown field "extra"`},
		{`{"v":1,"thread_id":"t","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z"} {}`, envelope.ErrKindDecode, "trailing data"},
		{`{"v":2,"thread_id":"t","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z"}`, envelope.ErrKindVersion, "v=2: want 1"},
		{`{"thread_id":"t","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z"}`, envelope.ErrKindVersion, "v=0"},
		{`{"v":1,"seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z"}`, envelope.ErrKindValidate, "thread_id is empty"},
		{`{"v":1,"thread_id":"t","kind":"k","ts":"2026-01-02T03:04:05Z"}`, envelope.ErrKindValidate, "seq is missing"},
		{`{"v":1,"thread_id":"t","seq":-1,"kind":"k","ts":"2026-01-02T03:04:05Z"}`, envelope.ErrKindDecode, "cannot unmarshal number -1"},
		{`{"v":1,"thread_id":"t","seq":1,"ts":"2026-01-02T03:04:05Z"}`, envelope.ErrKindValidate, "kind is empty"},
		{`{"v":1,"thread_id":"t","seq":1,"kind":"k"}`, envelope.ErrKindValidate, "ts is missing"},
		{`{"v":1,"thread_id":"t","seq":1,"kind":"k","ts":"yesterday"}`, envelope.ErrKindDecode, "cannot parse"},
		{`{"v":1,"thread_id":"` + strings.Repeat("x", 300) + `","seq":1,"kind":"k","ts":"2026-01-02T03:04:05Z"}`, envelope.ErrKindValidate, "exceeds 256"},
		{strings.Repeat(" ", envelope.MaxSize+1), envelope.ErrKindValidate, "exceeds"},
	}
	for _, c := range cases {
		_, err := envelope.Decode([]byte(c.in))
		if err == nil {
			t.Errorf("%.60q: accepted", c.in)
			continue
		}
		if envelope.KindOf(err) != c.kind || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%.60q: got %v (kind %s), want kind %s containing %q", c.in, err, envelope.KindOf(err), c.kind, c.msg)
		}
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	in := envelope.Envelope{ThreadID: "t", Seq: 3, Kind: "k", TS: time.Unix(1700000000, 0).UTC()}
	b, err := envelope.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := envelope.Decode(b)
	if err != nil || out.V != envelope.Version || out.Seq != 3 || !out.TS.Equal(in.TS) {
		t.Fatalf("round trip: %+v %v", out, err)
	}
}

func BenchmarkDecode(b *testing.B) {
	v := []byte(`{"v":1,"thread_id":"t-1","seq":7,"kind":"quality","ts":"2026-01-02T03:04:05Z","payload":{"n":1,"score":0.5,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}`)
	b.SetBytes(int64(len(v)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := envelope.Decode(v); err != nil {
			b.Fatal(err)
		}
	}
}
