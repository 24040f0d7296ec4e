package exporter_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/proto"

	"github.com/streamaudit/streamaudit/streamsvc/exporter"
	"github.com/streamaudit/streamaudit/streamsvc/lagmon"
)

// Headers of a Prometheus 3 scrape with its default scrape protocols.
const (
	promAccept    = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.7,application/openmetrics-text;version=0.0.1;q=0.6,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.3"
	protoAccept   = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
	lagFamilyName = "websocket_kafka_"
)

var awkwardTopics = []string{"plain", `quo"te`, `back\slash`, "new\nline", "ünïcödé", "}{,= #", ""}

// lagEnv is streamsvc's exporter with a lag monitor owning partitions of awkward topics in
// several states, on a settable clock.
type lagEnv struct {
	em  *exporter.Metrics
	mon *lagmon.Monitor
	mu  sync.Mutex
	now time.Time
}

func newLagEnv(t *testing.T, parts int) *lagEnv {
	t.Helper()
	e := &lagEnv{em: exporter.NewMetrics(), now: time.Unix(1_800_000_000, 0)}
	var err error
	if e.mon, err = lagmon.New(lagmon.Config{Now: e.clock}, e.em.Registry, nil); err != nil {
		t.Fatal(err)
	}
	assigned := map[string][]int32{}
	for _, topic := range awkwardTopics {
		for p := range int32(parts) {
			assigned[topic] = append(assigned[topic], p*3)
		}
	}
	e.mon.Assigned(assigned)
	t0 := e.clock()
	for topic, ps := range assigned {
		for i, p := range ps {
			if i%4 == 0 {
				continue // nothing known: only watermark and commit age
			}
			e.mon.ObserveFetches(kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: topic, Partitions: []kgo.FetchPartition{{
				Partition: p, HighWatermark: int64(1000 * i), LastStableOffset: int64(1000 * i),
				Records: []*kgo.Record{{Topic: topic, Partition: p, Offset: int64(i), Timestamp: t0.Add(-time.Duration(i) * time.Millisecond)},
					{Topic: topic, Partition: p, Offset: int64(i + 1), Timestamp: t0}},
			}}}}}})
			if i%4 != 1 {
				e.mon.Slot(topic, p).Processed(int64(i), t0)
			}
			if i%4 == 3 {
				e.mon.Committed(topic, p, int64(i+1))
			}
		}
	}
	e.advance(1500 * time.Millisecond)
	return e
}

func (e *lagEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *lagEnv) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

func serve(h http.Handler, url string, hdr map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// body returns the response body, gunzipped when Content-Encoding says so.
func body(t *testing.T, rec *httptest.ResponseRecorder) []byte {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("Content-Encoding") != "gzip" {
		return rec.Body.Bytes()
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return b
}

// parse decodes a /metrics response in the format of its Content-Type; the text format is
// parsed as checks/soak parses it.
func parse(t *testing.T, rec *httptest.ResponseRecorder) map[string]*dto.MetricFamily {
	t.Helper()
	b := body(t, rec)
	ct := rec.Header().Get("Content-Type")
	if expfmt.Format(ct).FormatType() == expfmt.TypeTextPlain {
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("parse text: %v", err)
		}
		return fams
	}
	dec := expfmt.NewDecoder(bytes.NewReader(b), expfmt.Format(ct))
	fams := map[string]*dto.MetricFamily{}
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); errors.Is(err, io.EOF) {
			return fams
		} else if err != nil {
			t.Fatalf("decode %s: %v", ct, err)
		}
		if _, dup := fams[mf.GetName()]; dup {
			t.Fatalf("family %s twice", mf.GetName())
		}
		fams[mf.GetName()] = &mf
	}
}

// seriesOf maps a family's series by their label pairs (the values without the labels),
// failing on a series seen twice.
func seriesOf(t *testing.T, mf *dto.MetricFamily) map[string]*dto.Metric {
	t.Helper()
	out := map[string]*dto.Metric{}
	for _, m := range mf.GetMetric() {
		var k []string
		for _, lp := range m.GetLabel() {
			k = append(k, fmt.Sprintf("%s=%q", lp.GetName(), lp.GetValue()))
		}
		key := strings.Join(k, ",")
		if _, dup := out[key]; dup {
			t.Errorf("%s{%s} twice", mf.GetName(), key)
		}
		v := proto.Clone(m).(*dto.Metric)
		v.Label = nil
		out[key] = v
	}
	return out
}

// compare checks that got has the families of want with the same help and type, and,
// for streamsvc's own families (the Go and process collectors change between scrapes),
// the same series and values.
func compare(t *testing.T, what string, got, want map[string]*dto.MetricFamily) {
	t.Helper()
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: family %s missing", what, name)
			continue
		}
		if g.GetHelp() != w.GetHelp() || g.GetType() != w.GetType() {
			t.Errorf("%s: %s: %q %v, want %q %v", what, name, g.GetHelp(), g.GetType(), w.GetHelp(), w.GetType())
		}
		if !strings.HasPrefix(name, lagFamilyName) {
			continue
		}
		gs, ws := seriesOf(t, g), seriesOf(t, w)
		if len(gs) != len(ws) {
			t.Errorf("%s: %s: %d series, want %d", what, name, len(gs), len(ws))
		}
		for k, v := range ws {
			if !proto.Equal(gs[k], v) {
				t.Errorf("%s: %s{%s} = %s, want %s", what, name, k, gs[k], v)
			}
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: unexpected family %s", what, name)
		}
	}
}

// /metrics with the lag monitor's Exposition serves what promhttp served with every
// series in the registry: same families, help, types, labels (awkward topic names
// escaped) and values, each series once, in the text format (gzip or not, as Prometheus
// and checks/soak parse it), in protobuf, and for an OpenMetrics request (text, as before).
func TestMetricsHandlerMatchesPromhttp(t *testing.T) {
	e := newLagEnv(t, 40) // 280 partitions
	old := e.em.Handler() // no source yet: promhttp over the registry
	oldRec := serve(old, "/metrics", map[string]string{"Accept": promAccept, "Accept-Encoding": "gzip"})
	want := parse(t, oldRec)
	if n := len(want["websocket_kafka_lag_commit_age_seconds"].GetMetric()); n != 40*len(awkwardTopics) {
		t.Fatalf("promhttp served %d commit age series, want %d", n, 40*len(awkwardTopics))
	}
	oldProto := parse(t, serve(old, "/metrics", map[string]string{"Accept": protoAccept}))

	e.em.AddSource(e.mon.Exposition())
	mux := http.NewServeMux()
	exporter.Register(mux, e.em, exporter.NewReadiness(e.em.Ready, nil))

	rec := serve(mux, "/metrics", map[string]string{"Accept": promAccept, "Accept-Encoding": "gzip"})
	for _, h := range []string{"Content-Type", "Content-Encoding"} {
		if got, want := rec.Header().Get(h), oldRec.Header().Get(h); got != want {
			t.Errorf("%s = %q, promhttp sent %q", h, got, want)
		}
	}
	if got := rec.Header().Values("Vary"); strings.Join(got, ",") != "Accept,Accept-Encoding" {
		t.Errorf("Vary = %v", got)
	}
	compare(t, "text, gzip", parse(t, rec), want)

	plain := serve(mux, "/metrics", nil) // curl
	if plain.Header().Get("Content-Encoding") != "" || plain.Header().Get("Content-Length") != strconv.Itoa(plain.Body.Len()) {
		t.Errorf("identity response: headers %v for %d bytes", plain.Header(), plain.Body.Len())
	}
	if mt, _, _ := mime.ParseMediaType(plain.Header().Get("Content-Type")); mt != "text/plain" {
		t.Errorf("Content-Type = %q, want text/plain", plain.Header().Get("Content-Type"))
	}
	compare(t, "text, identity", parse(t, plain), want)

	pb := serve(mux, "/metrics", map[string]string{"Accept": protoAccept, "Accept-Encoding": "gzip"})
	if ct := pb.Header().Get("Content-Type"); expfmt.Format(ct).FormatType() != expfmt.TypeProtoDelim {
		t.Fatalf("protobuf request answered with %q", ct)
	}
	oldPB := serve(old, "/metrics", map[string]string{"Accept": protoAccept, "Accept-Encoding": "gzip"})
	for _, h := range []string{"Content-Type", "Content-Encoding"} {
		if got, want := pb.Header().Get(h), oldPB.Header().Get(h); got != want {
			t.Errorf("protobuf: %s = %q, promhttp sent %q", h, got, want)
		}
	}
	compare(t, "protobuf", parse(t, pb), oldProto)
	pbPlain := serve(mux, "/metrics", map[string]string{"Accept": protoAccept})
	if pbPlain.Header().Get("Content-Length") != strconv.Itoa(pbPlain.Body.Len()) {
		t.Errorf("identity protobuf response: headers %v for %d bytes", pbPlain.Header(), pbPlain.Body.Len())
	}
	compare(t, "protobuf, identity", parse(t, pbPlain), oldProto)

	om := serve(mux, "/metrics", map[string]string{"Accept": "application/openmetrics-text;version=1.0.0"})
	if ct := om.Header().Get("Content-Type"); expfmt.Format(ct).FormatType() != expfmt.TypeTextPlain {
		t.Errorf("OpenMetrics request answered with %q, want the text format (OpenMetrics is not enabled)", ct)
	}
	compare(t, "openmetrics request", parse(t, om), want)

	filtered := parse(t, serve(mux, "/metrics?name[]=websocket_kafka_consumer_lag&name[]=go_goroutines", nil))
	if len(filtered) != 2 || filtered["websocket_kafka_consumer_lag"] == nil || filtered["go_goroutines"] == nil {
		t.Errorf("name[] filter served %d families", len(filtered))
	}
	if v := handlerErrors(t, e.em.Registry, "gathering"); v != 0 {
		t.Errorf("handler errors = %v", v)
	}
}

// handlerErrors is promhttp_metric_handler_errors_total{cause}.
func handlerErrors(t *testing.T, g prometheus.Gatherer, cause string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if mf.GetName() == "promhttp_metric_handler_errors_total" && m.GetLabel()[0].GetValue() == cause {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("promhttp_metric_handler_errors_total{cause=%q} not exported", cause)
	return 0
}

// A revoked partition's series are gone from the next /metrics response, in every format.
func TestMetricsHandlerRevocation(t *testing.T) {
	e := newLagEnv(t, 5)
	e.em.AddSource(e.mon.Exposition())
	h := e.em.Handler()
	e.mon.Revoked(map[string][]int32{`quo"te`: {0, 3, 6, 9, 12}, "plain": {3}})
	for _, accept := range []string{promAccept, protoAccept} {
		fams := parse(t, serve(h, "/metrics", map[string]string{"Accept": accept, "Accept-Encoding": "gzip"}))
		for name, mf := range fams {
			for _, m := range mf.GetMetric() {
				key := map[string]string{}
				for _, lp := range m.GetLabel() {
					key[lp.GetName()] = lp.GetValue()
				}
				if key["topic"] == `quo"te` || (key["topic"] == "plain" && key["partition"] == "3") {
					t.Errorf("%s: %s%v served after the revoke", accept, name, key)
				}
			}
		}
		if n := len(fams["websocket_kafka_lag_watermark_age_seconds"].GetMetric()); n != 5*len(awkwardTopics)-6 {
			t.Errorf("%s: %d watermark age series, want %d", accept, n, 5*len(awkwardTopics)-6)
		}
	}
}

// fakeSource serves one family with a fixed name, or fails.
type fakeSource struct {
	name string
	err  error
}

func (f fakeSource) Names() []string { return []string{f.name} }

func (f fakeSource) AppendText(dst []byte, ends []int) ([]byte, []int, error) {
	dst = append(dst, "# TYPE "+f.name+" gauge\n"+f.name+" 1\n"...)
	return dst, append(ends, len(dst)), f.err
}

func (f fakeSource) Gather() ([]*dto.MetricFamily, error) {
	v := 1.0
	return []*dto.MetricFamily{{Name: &f.name, Type: dto.MetricType_GAUGE.Enum(), Metric: []*dto.Metric{{Gauge: &dto.Gauge{Value: &v}}}}}, f.err
}

// fakeProtoSource is a fakeSource that also writes protobuf (the handler's protobuf path
// instead of promhttp's).
type fakeProtoSource struct{ fakeSource }

func (f fakeProtoSource) AppendProto(dst []byte, ends []int) ([]byte, []int, error) {
	mfs, _ := f.Gather()
	var buf bytes.Buffer
	if _, err := protodelim.MarshalTo(&buf, mfs[0]); err != nil {
		panic(err)
	}
	dst = append(dst, buf.Bytes()...)
	return dst, append(ends, len(dst)), f.err
}

// A family served twice (by the registry and a source) or a failing source answers 500
// and counts a gathering error, in the text format and in protobuf, through the
// handler's own path and through promhttp alike.
func TestMetricsHandlerErrors(t *testing.T) {
	var sources []exporter.Source
	for _, src := range []fakeSource{{name: "go_goroutines"}, {name: "extra_gauge", err: errors.New("source broke")}} {
		sources = append(sources, src, fakeProtoSource{src})
	}
	for _, src := range sources {
		m := exporter.NewMetrics()
		m.AddSource(src)
		name := src.Names()[0]
		h := m.Handler()
		for i, accept := range []string{promAccept, protoAccept} {
			rec := serve(h, "/metrics", map[string]string{"Accept": accept, "Accept-Encoding": "gzip"})
			if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Encoding") != "" {
				t.Errorf("%T %s, %s: status %d %v, want 500 uncompressed", src, name, accept, rec.Code, rec.Header())
			}
			if got := handlerErrors(t, m.Registry, "gathering"); got != float64(i+1) {
				t.Errorf("%T %s, %s: gathering errors = %v, want %d", src, name, accept, got, i+1)
			}
		}
	}
	for _, src := range []exporter.Source{fakeSource{name: "extra_gauge"}, fakeProtoSource{fakeSource{name: "extra_gauge"}}} {
		m := exporter.NewMetrics()
		m.AddSource(src)
		for _, accept := range []string{promAccept, protoAccept} {
			if fams := parse(t, serve(m.Handler(), "/metrics", map[string]string{"Accept": accept})); fams["extra_gauge"] == nil || fams["go_goroutines"] == nil {
				t.Errorf("%T, %s: a source's family next to the registry's: %d families", src, accept, len(fams))
			}
		}
	}
}

// Concurrent scrapes in both formats while the monitor rebalances and the clock moves
// (run with -race): every response parses and has each series once.
func TestMetricsHandlerConcurrentScrapes(t *testing.T) {
	e := newLagEnv(t, 20)
	e.em.AddSource(e.mon.Exposition())
	h := e.em.Handler()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p := map[string][]int32{"plain": {int32(i%20) * 3}}
			e.mon.Revoked(p)
			e.mon.Assigned(p)
			e.advance(time.Millisecond)
			time.Sleep(200 * time.Microsecond)
		}
	}()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 12 {
				accept := promAccept
				if (g+i)%3 == 0 {
					accept = protoAccept
				}
				fams := parse(t, serve(h, "/metrics", map[string]string{"Accept": accept, "Accept-Encoding": "gzip"}))
				if n := len(seriesOf(t, fams["websocket_kafka_lag_commit_age_seconds"])); n < 20*len(awkwardTopics)-1 {
					t.Errorf("%d commit age series", n)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-done
}
