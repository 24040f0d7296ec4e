package lagmon

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/encoding/protodelim"
)

// decodeProto reads delimited MetricFamily messages as Prometheus does.
func decodeProto(tb testing.TB, data []byte) []*dto.MetricFamily {
	tb.Helper()
	dec := expfmt.NewDecoder(bytes.NewReader(data), expfmt.NewFormat(expfmt.TypeProtoDelim))
	var out []*dto.MetricFamily
	for {
		mf := new(dto.MetricFamily)
		if err := dec.Decode(mf); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			tb.Fatalf("decode delimited protobuf: %v", err)
		}
		out = append(out, mf)
	}
}

// AppendProto writes, family by family, the bytes expfmt's delimited protobuf encoder
// writes for Gather's families (the dto path that TestExpositionMatchesRegistry holds to
// the registry's), for every state a partition can be in and awkward topic names.
func TestExpositionProtoMatchesExpfmt(t *testing.T) {
	m, _, _ := variedMonitor(t, 40)
	x := m.Exposition()
	mfs, err := x.Gather()
	if err != nil {
		t.Fatal(err)
	}
	data, ends, err := x.AppendProto([]byte("prefix"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("prefix")) || len(ends) != len(x.Names()) || ends[len(ends)-1] != len(data) {
		t.Fatalf("AppendProto: ends %v for %d bytes", ends, len(data))
	}
	from := len("prefix")
	for i, name := range x.Names() {
		var want bytes.Buffer
		for _, mf := range mfs {
			if mf.GetName() == name {
				enc := expfmt.NewEncoder(&want, expfmt.NewFormat(expfmt.TypeProtoDelim))
				if err := enc.Encode(mf); err != nil {
					t.Fatal(err)
				}
			}
		}
		if got := data[from:ends[i]]; !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s: %d bytes differ from expfmt's %d", name, len(got), want.Len())
		}
		from = ends[i]
	}
	sameFamilies(t, "exposition protobuf", families(t, decodeProto(t, data[len("prefix"):])), families(t, mfs))
	// Also what protodelim itself writes for the whole scrape.
	var all bytes.Buffer
	for _, mf := range mfs {
		if _, err := protodelim.MarshalTo(&all, mf); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(data[len("prefix"):], all.Bytes()) {
		t.Error("AppendProto differs from protodelim.MarshalTo over Gather's families")
	}
}

// Revoked partitions, nothing owned, and topics that are not UTF-8 behave as in the text.
func TestExpositionProtoEdges(t *testing.T) {
	m, _ := newTestMonitor(t, Config{}, nil)
	m.Assigned(map[string][]int32{"ok": {1, 2}, "bad\xff": {3}})
	x := m.Exposition()
	data, ends, err := x.AppendProto(nil, nil)
	if err == nil || !strings.Contains(err.Error(), `bad\xff`) {
		t.Fatalf("AppendProto error = %v, want one naming the topic", err)
	}
	if len(ends) != len(x.Names()) {
		t.Fatalf("ends %v, want one per family", ends)
	}
	fams := families(t, decodeProto(t, data))
	if n := len(fams[nameWMAge].series); n != 2 {
		t.Errorf("watermark age series %v, want ok/1 and ok/2 only", fams[nameWMAge].series)
	}
	m.Revoked(map[string][]int32{"ok": {1, 2}, "bad\xff": {3}})
	if data, ends, err := x.AppendProto(nil, nil); err != nil || len(data) != 0 || len(ends) != len(x.Names()) {
		t.Errorf("nothing owned: AppendProto = %d bytes, ends %v, %v; want no bytes", len(data), ends, err)
	}
}

// AppendProto allocates nothing once its buffers have grown.
func TestExpositionProtoAllocations(t *testing.T) {
	m, _ := benchMonitor(t, 1000)
	x := m.Exposition()
	buf, ends, _ := x.AppendProto(nil, nil)
	if a := testing.AllocsPerRun(20, func() { buf, ends, _ = x.AppendProto(buf[:0], ends[:0]) }); a != 0 {
		t.Errorf("AppendProto allocates %v times per scrape, want 0", a)
	}
}
