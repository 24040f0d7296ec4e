package lagmon

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// awkwardTopics are topic names a text exposition must escape or carry through as is
// (Kafka itself allows only [a-zA-Z0-9._-]; lagmon takes whatever it is given).
var awkwardTopics = []string{"plain", "dots.and_under-scores", `quo"te`, `back\slash`, "new\nline", "ünïcödé-トピック", "}{,= #", `\"\n`, ""}

// family is one parsed metric family: help, type and value by "topic/partition".
type family struct {
	help, typ string
	series    map[string]float64
}

// families converts gathered or parsed families, failing on a series seen twice.
func families(tb testing.TB, mfs []*dto.MetricFamily) map[string]family {
	tb.Helper()
	out := map[string]family{}
	for _, mf := range mfs {
		f := family{help: mf.GetHelp(), typ: mf.GetType().String(), series: map[string]float64{}}
		for _, mt := range mf.GetMetric() {
			var names []string
			for _, lp := range mt.GetLabel() {
				names = append(names, lp.GetName())
			}
			key := seriesKey(mt)
			if _, dup := f.series[key]; dup {
				tb.Errorf("%s{%s}: series twice", mf.GetName(), key)
			}
			if j := strings.Join(names, ","); strings.Contains(j, "topic") && j != "partition,topic" {
				tb.Errorf("%s{%s}: labels %v, want partition, topic", mf.GetName(), key, names)
			}
			f.series[key] = metricValue(mt)
		}
		if _, dup := out[mf.GetName()]; dup {
			tb.Errorf("family %s twice", mf.GetName())
		}
		out[mf.GetName()] = f
	}
	return out
}

// seriesKey is "topic/partition" (the topic may be empty), else labelKey.
func seriesKey(mt *dto.Metric) string {
	var topic, part string
	hasTopic := false
	for _, lp := range mt.GetLabel() {
		switch lp.GetName() {
		case "topic":
			topic, hasTopic = lp.GetValue(), true
		case "partition":
			part = lp.GetValue()
		}
	}
	if hasTopic {
		return topic + "/" + part
	}
	return labelKey(mt)
}

// parseText parses a text exposition the way checks/soak does (expfmt, UTF-8 names).
func parseText(tb testing.TB, text []byte) map[string]family {
	tb.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		tb.Fatalf("parse text exposition: %v\n%.2000s", err, text)
	}
	var mfs []*dto.MetricFamily
	for _, mf := range fams {
		mfs = append(mfs, mf)
	}
	return families(tb, mfs)
}

// encodeText is what promhttp writes for gathered families in the text format.
func encodeText(tb testing.TB, mfs []*dto.MetricFamily) []byte {
	tb.Helper()
	var b bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			tb.Fatal(err)
		}
	}
	return b.Bytes()
}

func sameFamilies(tb testing.TB, what string, got, want map[string]family) {
	tb.Helper()
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			tb.Errorf("%s: family %s missing", what, name)
			continue
		}
		if g.help != w.help || g.typ != w.typ {
			tb.Errorf("%s: %s: help/type %q %s, want %q %s", what, name, g.help, g.typ, w.help, w.typ)
		}
		if len(g.series) != len(w.series) {
			tb.Errorf("%s: %s: %d series, want %d", what, name, len(g.series), len(w.series))
		}
		for k, v := range w.series {
			if gv, ok := g.series[k]; !ok || gv != v {
				tb.Errorf("%s: %s{%q} = %v (present %v), want %v", what, name, k, gv, ok, v)
			}
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			tb.Errorf("%s: unexpected family %s", what, name)
		}
	}
}

// variedMonitor owns parts partitions of each awkward topic in every state a partition
// can be in: no position yet, caught up, lagging with the next record fetched, lagging
// past the fetched batch, committed only, stalled for a while.
func variedMonitor(tb testing.TB, parts int) (*Monitor, *prometheus.Registry, *fakeClock) {
	tb.Helper()
	clk := newFakeClock()
	m, reg := newTestMonitor(tb, Config{Now: clk.Now}, nil)
	assigned := map[string][]int32{}
	for _, topic := range awkwardTopics {
		for p := range int32(parts) {
			assigned[topic] = append(assigned[topic], p*7) // partition labels that sort differently as strings
		}
	}
	m.Assigned(assigned)
	t0 := clk.Now()
	for topic, ps := range assigned {
		for i, p := range ps {
			s := m.Slot(topic, p)
			switch i % 6 {
			case 0: // nothing known yet
			case 1: // caught up
				m.ObserveFetches(fetch(topic, p, 100, 100, rec(98, t0), rec(99, t0)))
				s.Processed(98, t0)
				s.Processed(99, t0)
			case 2: // lagging, next record in the batch
				m.ObserveFetches(fetch(topic, p, 1_000_000+int64(i), 1000, rec(10, t0.Add(-time.Duration(i)*time.Millisecond)), rec(11, t0)))
				s.Processed(10, t0)
			case 3: // lagging past the batch
				m.ObserveFetches(fetch(topic, p, 5000, 5000, rec(20, t0.Add(-3*time.Second))))
				s.Processed(20, t0.Add(-time.Duration(i)*time.Microsecond))
			case 4: // committed only: lag known, lag seconds absent
				s.hw.Store(int64(50 + i))
				s.endAt.Store(t0.UnixNano())
				m.Committed(topic, p, 7)
			case 5: // stalls from here on
				m.ObserveFetches(fetch(topic, p, 3_000_000_000, 3_000_000_000, rec(1, t0)))
				s.Processed(1, t0)
			}
		}
	}
	scrape(tb, reg) // first progress sample
	clk.Advance(1234567891 * time.Nanosecond)
	for topic, ps := range assigned {
		for i, p := range ps {
			if i%6 == 2 {
				m.Slot(topic, p).Processed(10, t0) // no progress: offset age grows
			}
		}
	}
	scrape(tb, reg)
	clk.Advance(98765 * time.Microsecond)
	return m, reg, clk
}

// The Exposition serves exactly what Registry.Gather served: same families, help, type,
// labels and values, awkward topic names escaped, no series twice, in the text format and
// as dto; after the hand-off the registry keeps only the scalar gauges.
func TestExpositionMatchesRegistry(t *testing.T) {
	m, reg, _ := variedMonitor(t, 40) // 360 partitions
	before, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := families(t, before)
	wantText := encodeText(t, before)
	sameFamilies(t, "registry text round trip", parseText(t, wantText), want)
	if n := len(want[nameComAge].series); n != 40*len(awkwardTopics) {
		t.Fatalf("registry has %d commit age series, want %d", n, 40*len(awkwardTopics))
	}

	x := m.Exposition()
	after, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	rest := families(t, after)
	for name := range want {
		_, inRest := rest[name]
		perPartition := strings.Contains(strings.Join(x.Names(), " "), name)
		if inRest == perPartition {
			t.Errorf("after the hand-off, %s in the registry: %v, want %v", name, inRest, !perPartition)
		}
	}

	text, ends, err := x.AppendText([]byte("prefix"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(text, []byte("prefix")) || len(ends) != len(x.Names()) || ends[len(ends)-1] != len(text) {
		t.Fatalf("AppendText: ends %v for %d bytes", ends, len(text))
	}
	got := parseText(t, text[len("prefix"):])
	for name, f := range rest {
		got[name] = f
	}
	sameFamilies(t, "exposition text", got, want)
	// Byte for byte what expfmt writes for the same families, family by family.
	from := len("prefix")
	for i, name := range x.Names() {
		var wantFam []byte
		for _, mf := range before {
			if mf.GetName() == name {
				wantFam = encodeText(t, []*dto.MetricFamily{mf})
			}
		}
		if gotFam := text[from:ends[i]]; !bytes.Equal(gotFam, wantFam) {
			t.Errorf("%s: text differs from expfmt's:\n got %.500q\nwant %.500q", name, gotFam, wantFam)
		}
		from = ends[i]
	}

	mfs, err := x.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(mfs); i++ {
		if mfs[i-1].GetName() >= mfs[i].GetName() {
			t.Errorf("Gather not sorted: %s before %s", mfs[i-1].GetName(), mfs[i].GetName())
		}
	}
	got = families(t, mfs)
	for name, f := range rest {
		got[name] = f
	}
	sameFamilies(t, "exposition dto", got, want)
}

// A revoked partition has no series at the next scrape; a re-assigned one starts over.
func TestExpositionRevocation(t *testing.T) {
	m, _, _ := variedMonitor(t, 10)
	x := m.Exposition()
	text, _, err := x.AppendText(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(parseText(t, text)[nameWMAge].series); n != 10*len(awkwardTopics) {
		t.Fatalf("%d watermark age series, want %d", n, 10*len(awkwardTopics))
	}
	m.Revoked(map[string][]int32{`quo"te`: {0, 7, 14}, "plain": {63}})
	text, _, err = x.AppendText(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	fams := parseText(t, text)
	for _, name := range x.Names() {
		for _, gone := range []string{`quo"te/0`, `quo"te/7`, `quo"te/14`, "plain/63"} {
			if _, ok := fams[name].series[gone]; ok {
				t.Errorf("%s{%s} still served after the revoke", name, gone)
			}
		}
	}
	if n := len(fams[nameWMAge].series); n != 10*len(awkwardTopics)-4 {
		t.Errorf("%d watermark age series after revoking 4, want %d", n, 10*len(awkwardTopics)-4)
	}
	mfs, err := x.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sameFamilies(t, "dto after revoke", families(t, mfs), fams)
	m.Assigned(map[string][]int32{"plain": {63}})
	text, _, _ = x.AppendText(nil, nil)
	fams = parseText(t, text)
	if _, ok := fams[nameWMAge].series["plain/63"]; !ok {
		t.Error("re-assigned plain/63 has no watermark age")
	}
	if _, ok := fams[nameLag].series["plain/63"]; ok {
		t.Error("re-assigned plain/63 has a lag before any position is known")
	}
	m.Revoked(map[string][]int32{"plain": {63}})
	for _, topic := range awkwardTopics {
		ps := make([]int32, 10)
		for i := range ps {
			ps[i] = int32(i) * 7
		}
		m.Revoked(map[string][]int32{topic: ps})
	}
	if text, ends, err := x.AppendText(nil, nil); err != nil || len(text) != 0 || len(ends) != len(x.Names()) {
		t.Errorf("nothing owned: AppendText = %q %v %v, want no text", text, ends, err)
	}
	if mfs, err := x.Gather(); err != nil || len(mfs) != 0 {
		t.Errorf("nothing owned: Gather = %v %v, want no family", mfs, err)
	}
}

// A topic that is not valid UTF-8 cannot be a label value: its series are left out and
// the scrape reports an error naming it, as Registry.Gather does.
func TestExpositionInvalidUTF8Topic(t *testing.T) {
	m, reg := newTestMonitor(t, Config{}, nil)
	m.Assigned(map[string][]int32{"ok": {1}, "bad\xff": {2}})
	if _, err := reg.Gather(); err == nil {
		t.Fatal("Registry.Gather accepted a label value that is not UTF-8")
	}
	x := m.Exposition()
	text, _, err := x.AppendText(nil, nil)
	if err == nil || !strings.Contains(err.Error(), `bad\xff`) {
		t.Fatalf("AppendText error = %v, want one naming the topic", err)
	}
	if fams := parseText(t, text); len(fams[nameWMAge].series) != 1 {
		t.Errorf("series %v, want only ok/1", fams[nameWMAge].series)
	}
	mfs, err := x.Gather()
	if err == nil || len(mfs) != 2 || len(mfs[0].GetMetric()) != 1 {
		t.Errorf("Gather = %d families, %v; want the valid series and an error", len(mfs), err)
	}
}

// A scrape allocates nothing once its buffers have grown (the dto path allocates a fixed
// handful per scrape, whatever the number of partitions).
func TestExpositionAllocations(t *testing.T) {
	m, _ := benchMonitor(t, 1000)
	x := m.Exposition()
	buf, ends, _ := x.AppendText(nil, nil)
	if a := testing.AllocsPerRun(20, func() { buf, ends, _ = x.AppendText(buf[:0], ends[:0]) }); a != 0 {
		t.Errorf("AppendText allocates %v times per scrape, want 0", a)
	}
	if a := testing.AllocsPerRun(20, func() { _, _ = x.Gather() }); a > 30 {
		t.Errorf("Gather allocates %v times per scrape of 1000 partitions, want a fixed handful", a)
	}
	t.Logf("allocations per scrape of 1000 partitions: AppendText 0, Gather %v", testing.AllocsPerRun(5, func() { _, _ = x.Gather() }))
}

// Scrapes in the text format and as dto run while the consume loop updates slots and
// rebalances replace the assignment (run with -race): every scrape parses, has each series
// once, and holds only partitions owned at some point.
func TestExpositionConcurrentScrapeAndUpdates(t *testing.T) {
	m, _ := newTestMonitor(t, Config{}, nil)
	x := m.Exposition()
	all := make([]int32, 64)
	for i := range all {
		all[i] = int32(i)
	}
	m.Assigned(map[string][]int32{"a": all, `b"`: all[:8]})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // consume loop
		defer wg.Done()
		for off := int64(0); ; off++ {
			select {
			case <-stop:
				return
			default:
			}
			now := time.Now()
			m.ObserveFetches(fetch("a", int32(off%64), off+100, off+100, rec(off, now)))
			if s := m.Slot("a", int32(off%64)); s != nil {
				s.Processed(off, now)
			}
			m.Committed("a", int32(off%64), off)
		}
	}()
	go func() { // rebalances
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			part := map[string][]int32{"a": all[i%64 : i%64+1]}
			m.Revoked(part)
			m.Assigned(part)
			time.Sleep(50 * time.Microsecond)
		}
	}()
	var buf []byte
	var ends []int
	for i := range 200 {
		var err error
		if buf, ends, err = x.AppendText(buf[:0], ends[:0]); err != nil {
			t.Fatal(err)
		}
		fams := parseText(t, buf)
		if n := len(fams[nameComAge].series); n < 63+8 || n > 64+8 {
			t.Fatalf("scrape %d: %d commit age series, want 71 or 72", i, n)
		}
		if i%10 == 0 {
			mfs, err := x.Gather()
			if err != nil {
				t.Fatal(err)
			}
			families(t, mfs)
		}
	}
	close(stop)
	wg.Wait()
}

// appendSeconds and appendCount write exactly what strconv's shortest 'g' form (expfmt)
// writes for the same value.
func TestAppendSecondsMatchesStrconv(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(ns int64) {
		if got, want := string(appendSeconds(nil, ns)), string(appendFloat(nil, seconds(ns))); got != want {
			t.Fatalf("appendSeconds(%d) = %s, want %s", ns, got, want)
		}
		if got, want := string(appendCount(nil, ns)), string(appendFloat(nil, float64(ns))); got != want {
			t.Fatalf("appendCount(%d) = %s, want %s", ns, got, want)
		}
	}
	for _, ns := range []int64{0, 1, 9, 10, 99_999, 100_000, 100_001, 999_999, 1_000_000, 1e9 - 1, 1e9, 1e9 + 1,
		1_234_567_891, 1e12, 999_999_999_999_999, 1e15, 1e15 + 1, math.MaxInt64, -1, -1e9, 1 << 53, 1<<53 + 1} {
		check(ns)
	}
	for range 300_000 {
		check(r.Int64N(int64(math.Pow(10, r.Float64()*18)) + 1))
	}
}

func FuzzAppendSeconds(f *testing.F) {
	for _, ns := range []int64{0, 100_000, 1_234_567_891, 999_999_999_999_999} {
		f.Add(ns)
	}
	f.Fuzz(func(t *testing.T, ns int64) {
		if got, want := string(appendSeconds(nil, ns)), string(appendFloat(nil, seconds(ns))); got != want {
			t.Fatalf("appendSeconds(%d) = %s, want %s", ns, got, want)
		}
	})
}
