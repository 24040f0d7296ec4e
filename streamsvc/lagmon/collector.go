package lagmon

import (
	"fmt"
	"slices"
	"sort"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Names and help texts of the per-partition gauges (one place for the registry's descs and
// the direct exposition).
const (
	nameLag     = "websocket_kafka_consumer_lag"
	helpLag     = "Records between the next record to process and the end offset (high watermark; last stable offset under read_committed), clamped at 0."
	nameLagSecs = "websocket_kafka_lag_seconds"
	helpLagSecs = "Now minus the timestamp of the next unprocessed record; 0 when caught up (see docs/LAGMON.md when the next record is not fetched yet)."
	nameOffAge  = "websocket_kafka_lag_offset_age_seconds"
	helpOffAge  = "Time since the processed position last advanced while lag > 0; 0 when caught up."
	nameWMAge   = "websocket_kafka_lag_watermark_age_seconds"
	helpWMAge   = "Age of the end offset used for lag (since assignment when none was observed yet)."
	nameComAge  = "websocket_kafka_lag_commit_age_seconds"
	helpComAge  = "Time since the last successful commit (since assignment when none yet)."
)

var (
	partLabels  = []string{"topic", "partition"}
	descLag     = prometheus.NewDesc(nameLag, helpLag, partLabels, nil)
	descLagSecs = prometheus.NewDesc(nameLagSecs, helpLagSecs, partLabels, nil)
	descOffAge  = prometheus.NewDesc(nameOffAge, helpOffAge, partLabels, nil)
	descWMAge   = prometheus.NewDesc(nameWMAge, helpWMAge, partLabels, nil)
	descComAge  = prometheus.NewDesc(nameComAge, helpComAge, partLabels, nil)
	descOwned   = prometheus.NewDesc("websocket_kafka_owned_partitions", "Partitions currently assigned to this member.", nil, nil)
	descLastEnd = prometheus.NewDesc("websocket_kafka_last_poll_timestamp_seconds", "Unix time at which the monitor last obtained end offsets, from a fetch response or a fallback refresh (0: never).", nil, nil)
)

// partFamily is one per-partition gauge family: its desc (registry path), name and help
// (direct exposition), and which value of a partition it exports, if any: a count
// (records) or, with seconds set, a duration in nanoseconds exported in seconds.
type partFamily struct {
	name, help string
	desc       *prometheus.Desc
	seconds    bool
	value      func(v *values) (int64, bool)
	header     []byte // "# HELP ...\n# TYPE ... gauge\n", built in init
	pbHeader   []byte // MetricFamily's name (1), help (2) and type (3, GAUGE) in protobuf, built in init
}

// float is the exported value of x (a value of f).
func (f *partFamily) float(x int64) float64 {
	if f.seconds {
		return seconds(x)
	}
	return float64(x)
}

// partFamilies are the per-partition gauges, sorted by name (the order of a gathered
// exposition; init checks it).
var partFamilies = [...]partFamily{
	{name: nameLag, help: helpLag, desc: descLag, value: func(v *values) (int64, bool) { return v.lag, v.lagKnown }},
	{name: nameComAge, help: helpComAge, desc: descComAge, seconds: true, value: func(v *values) (int64, bool) { return v.commitAge, true }},
	{name: nameOffAge, help: helpOffAge, desc: descOffAge, seconds: true, value: func(v *values) (int64, bool) { return v.offsetAge, v.lagKnown }},
	{name: nameLagSecs, help: helpLagSecs, desc: descLagSecs, seconds: true, value: func(v *values) (int64, bool) { return v.lagSecs, v.lagKnown && v.lagSecsKnown }},
	{name: nameWMAge, help: helpWMAge, desc: descWMAge, seconds: true, value: func(v *values) (int64, bool) { return v.watermarkAge, true }},
}

// collector computes the per-partition series at scrape time from the slots of the
// current assignment only: series of partitions no longer owned vanish at once. It never
// calls Kafka. Once Monitor.Exposition has handed the per-partition gauges over, it
// emits only the two scalar gauges; it still describes every gauge, so the registry
// keeps their names reserved.
type collector Monitor

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLag, descLagSecs, descOffAge, descWMAge, descComAge, descOwned, descLastEnd} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	m := (*Monitor)(c)
	a := m.current.Load()
	ch <- prometheus.MustNewConstMetric(descOwned, prometheus.GaugeValue, float64(len(a.order)))
	ch <- prometheus.MustNewConstMetric(descLastEnd, prometheus.GaugeValue, float64(m.lastEnd.Load())/1e9)
	if m.direct.Load() {
		return
	}
	m.sampleMu.Lock()
	defer m.sampleMu.Unlock()
	order, vals := m.scrape.sample(m, a)
	// One allocation for every series of this scrape; each is written straight into the
	// dto with the slot's label pairs built once per assignment (no per-series label
	// validation or sorting: the descs are checked in init, and the series go out in the
	// registry's sort order so its final sort finds them already sorted).
	series := make([]partSeries, 0, len(partFamilies)*len(order))
	for i, e := range order {
		for fi := range partFamilies {
			f := &partFamilies[fi]
			if x, ok := f.value(&vals[i]); ok {
				series = append(series, partSeries{desc: f.desc, labels: e.labels, value: f.float(x)})
				ch <- &series[len(series)-1]
			}
		}
	}
}

// init checks each per-partition gauge (the partSeries of Collect) against a (topic,
// partition) pair through MustNewConstMetric: a desc whose label names change fails at
// start-up, not at the first scrape, and this is where their value type (gauge) is
// declared for the metric inventory. It also checks that partFamilies is sorted by name
// and builds their text headers.
func init() {
	for _, d := range []*prometheus.Desc{descLag, descLagSecs, descOffAge, descWMAge, descComAge} {
		var m dto.Metric
		if err := prometheus.MustNewConstMetric(d, prometheus.GaugeValue, 0, "topic", "0").Write(&m); err != nil {
			panic(err)
		}
		if got := m.GetLabel(); len(got) != 2 || got[0].GetName() != "partition" || got[1].GetName() != "topic" {
			panic(fmt.Sprintf("lagmon: %s: labels %v, want partition, topic", d, got))
		}
	}
	for i := range partFamilies {
		f := &partFamilies[i]
		if i > 0 && partFamilies[i-1].name >= f.name {
			panic(fmt.Sprintf("lagmon: partFamilies not sorted by name at %s", f.name))
		}
		if !model.LegacyValidation.IsValidMetricName(f.name) {
			panic(fmt.Sprintf("lagmon: %s: not a legacy metric name (the text writer does not quote names)", f.name))
		}
		f.header = fmt.Appendf(nil, "# HELP %s %s\n# TYPE %s gauge\n", f.name, helpEscaper.Replace(f.help), f.name)
		f.pbHeader = protowire.AppendTag(nil, 1, protowire.BytesType)
		f.pbHeader = protowire.AppendString(f.pbHeader, f.name)
		f.pbHeader = protowire.AppendTag(f.pbHeader, 2, protowire.BytesType)
		f.pbHeader = protowire.AppendString(f.pbHeader, f.help)
		f.pbHeader = protowire.AppendTag(f.pbHeader, 3, protowire.VarintType)
		f.pbHeader = protowire.AppendVarint(f.pbHeader, uint64(dto.MetricType_GAUGE))
	}
}

// partSeries is one per-partition gauge of one scrape.
type partSeries struct {
	desc   *prometheus.Desc
	labels []*dto.LabelPair // shared by the slot's series; never modified
	value  float64
	gauge  dto.Gauge
}

func (p *partSeries) Desc() *prometheus.Desc { return p.desc }

func (p *partSeries) Write(out *dto.Metric) error {
	p.gauge.Value = &p.value
	out.Label = p.labels
	out.Gauge = &p.gauge
	return nil
}

// scrapeEntry is a slot with its label pairs (partition, topic: sorted by name as the
// registry wants them) and the same labels in the text format.
type scrapeEntry struct {
	slot   *Slot
	labels []*dto.LabelPair
	text   []byte // `{partition="P",topic="T"} `, escaped; shares the cache's arena
	pb     []byte // the same labels as Metric.label fields in protobuf; shares another arena
	bad    bool   // the topic is not valid UTF-8: no exposition may carry it
}

// scrapeCache holds the scrape order of one assignment: sorted by partition label as a
// string, then topic, which is the order Registry.Gather sorts series into, and the values
// of the latest scrape. Guarded by Monitor.sampleMu.
type scrapeCache struct {
	a     *assignment
	order []scrapeEntry
	bad   error // names the topics whose entries are bad, nil if none
	vals  []values
}

// sample computes every entry's values at the monitor's now (updating the slots'
// progress samples); the caller holds m.sampleMu and uses the result until it unlocks.
func (c *scrapeCache) sample(m *Monitor, a *assignment) ([]scrapeEntry, []values) {
	order := c.entries(a)
	now := m.now()
	if cap(c.vals) < len(order) {
		c.vals = make([]values, len(order))
	}
	vals := c.vals[:len(order)]
	for i := range order {
		vals[i] = m.values(order[i].slot, now)
	}
	return order, vals
}

func (c *scrapeCache) entries(a *assignment) []scrapeEntry {
	if c.a == a && a != nil {
		return c.order
	}
	c.a, c.order, c.bad = a, nil, nil
	if a == nil {
		return nil
	}
	order := make([]scrapeEntry, len(a.order))
	for i, s := range a.order {
		order[i] = scrapeEntry{slot: s, labels: []*dto.LabelPair{
			{Name: proto.String("partition"), Value: proto.String(s.label)},
			{Name: proto.String("topic"), Value: proto.String(s.topic)},
		}}
	}
	sort.Slice(order, func(i, j int) bool {
		x, y := order[i].slot, order[j].slot
		if x.label != y.label {
			return x.label < y.label
		}
		return x.topic < y.topic
	})
	var arena []byte
	var bad []string
	ends := make([]int, len(order))
	for i := range order {
		s := order[i].slot
		arena = append(arena, `{partition="`...)
		arena = append(arena, s.label...)
		arena = append(arena, `",topic="`...)
		arena = appendEscaped(arena, s.topic)
		arena = append(arena, `"} `...)
		ends[i] = len(arena)
		if !utf8.ValidString(s.topic) {
			order[i].bad = true
			bad = append(bad, s.topic)
		}
	}
	start := 0
	for i, end := range ends {
		order[i].text = arena[start:end:end] // one arena for every entry's labels
		start = end
	}
	var pbArena []byte
	for i := range order {
		s := order[i].slot
		pbArena = appendLabelPB(pbArena, "partition", s.label)
		pbArena = appendLabelPB(pbArena, "topic", s.topic)
		ends[i] = len(pbArena)
	}
	start = 0
	for i, end := range ends {
		order[i].pb = pbArena[start:end:end]
		start = end
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		bad = slices.Compact(bad)
		c.bad = fmt.Errorf("lagmon: topic label values %q are not valid UTF-8: their partitions' series are left out", bad)
	}
	c.order = order
	return order
}

func seconds(ns int64) float64 { return float64(ns) / 1e9 }

// values is one partition's state at one instant; durations in nanoseconds, never
// negative.
type values struct {
	lagKnown     bool
	lag          int64
	lagSecsKnown bool
	lagSecs      int64
	offsetAge    int64
	watermarkAge int64
	commitAge    int64
}

// values computes a slot's gauges at now and updates its progress sample; the caller
// holds m.sampleMu.
func (m *Monitor) values(s *Slot, now int64) values {
	var v values
	pos := s.next.Load()
	end := s.hw.Load()
	if m.cfg.ReadCommitted {
		end = s.lso.Load()
	}
	if endAt := s.endAt.Load(); endAt > 0 {
		v.watermarkAge = max(now-endAt, 0)
	} else {
		v.watermarkAge = max(now-s.assignedAt, 0)
	}
	if at := s.commitAt.Load(); at > 0 {
		v.commitAge = max(now-at, 0)
	} else {
		v.commitAge = max(now-s.assignedAt, 0)
	}
	if pos == unknown || end == unknown {
		s.seenPos, s.seenAt = pos, now
		return v
	}
	v.lagKnown = true
	v.lag = max(end-pos, 0)
	switch {
	case pos != s.seenPos:
		s.seenPos, s.seenAt = pos, now
	case v.lag == 0:
		// Caught up as of the moment the end offset was observed: a stall that starts
		// now is dated from there, not from when a refresh reveals the backlog.
		s.seenAt = max(s.seenAt, s.endAt.Load())
	}
	if v.lag == 0 {
		v.lagSecsKnown = true
		return v
	}
	v.offsetAge = max(now-s.seenAt, 0)
	if ts := nextTimestamp(s, pos); ts > 0 {
		v.lagSecsKnown = true
		v.lagSecs = max(now-ts, 0)
	}
	return v
}

// nextTimestamp returns the timestamp (unix ns) of the next unprocessed record when the
// newest fetched batch holds it, else the timestamp of the last processed record (the
// next record is not fetched yet; see docs/LAGMON.md), else 0.
func nextTimestamp(s *Slot, pos int64) int64 {
	if b := s.batch.Load(); b != nil {
		recs := *b
		i := sort.Search(len(recs), func(i int) bool { return recs[i].Offset >= pos })
		if i < len(recs) {
			return recs[i].Timestamp.UnixNano()
		}
	}
	return s.lastTS.Load()
}

// sample updates every owned slot's progress sample (Run calls it each tick so offset
// age does not depend on the scrape interval).
func (m *Monitor) sample(a *assignment, now int64) {
	m.sampleMu.Lock()
	defer m.sampleMu.Unlock()
	for _, s := range a.order {
		m.values(s, now)
	}
}
