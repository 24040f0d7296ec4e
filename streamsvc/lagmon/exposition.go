package lagmon

import (
	"math"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Exposition serves the per-partition gauges straight from the slots, without passing
// them through a prometheus.Registry: a registry spends about a microsecond per series on
// a dto, a duplicate-detection hash and a sort, which at 10 000 partitions (50 000 series)
// is most of a scrape. The series are unique by construction (one slot per owned
// partition), their label names are fixed and their descs are checked in init, so none of
// that work finds anything here. It implements streamsvc/exporter's Source and ProtoSource:
// text goes out through AppendText, delimited protobuf through AppendProto, every other
// exposition format through Gather.
type Exposition struct{ m *Monitor }

// Exposition hands the per-partition gauges over to the returned Exposition. From this
// call on, the collector that New registered emits only websocket_kafka_owned_partitions
// and websocket_kafka_last_poll_timestamp_seconds (it still describes every gauge, so their
// names stay reserved in the registry), and the caller must serve the Exposition next to
// the registry, e.g. with exporter.Metrics.AddSource; otherwise the per-partition series
// are not exported at all.
func (m *Monitor) Exposition() *Exposition {
	m.direct.Store(true)
	return &Exposition{m: m}
}

// Names returns the names of the families the Exposition serves, sorted.
func (e *Exposition) Names() []string {
	out := make([]string, len(partFamilies))
	for i := range partFamilies {
		out[i] = partFamilies[i].name
	}
	return out
}

// AppendText appends one scrape of every family of Names, in Names' order, in the
// Prometheus text format (version 0.0.4, which is also valid 1.0.0 since every name is a
// legacy name): HELP and TYPE lines, then one line per owned partition that has the value,
// in the order Registry.Gather would sort them. A family without series is not written.
// ends gets, for each family of Names, the offset in dst where it ends. The error names
// topics whose label value is not valid UTF-8; their series are left out (Registry.Gather
// reports the same error). It takes no Kafka call; it locks the progress sampling for
// the time of the formatting (about 100 ns per series) and performs no I/O.
func (e *Exposition) AppendText(dst []byte, ends []int) ([]byte, []int, error) {
	m := e.m
	a := m.current.Load()
	m.sampleMu.Lock()
	defer m.sampleMu.Unlock()
	order, vals := m.scrape.sample(m, a)
	for fi := range partFamilies {
		f := &partFamilies[fi]
		start := len(dst)
		dst = append(dst, f.header...)
		n := 0
		for i := range order {
			x, ok := f.exported(&order[i], &vals[i])
			if !ok {
				continue
			}
			dst = append(dst, f.name...)
			dst = append(dst, order[i].text...)
			if f.seconds {
				dst = appendSeconds(dst, x)
			} else {
				dst = appendCount(dst, x)
			}
			dst = append(dst, '\n')
			n++
		}
		if n == 0 {
			dst = dst[:start]
		}
		ends = append(ends, len(dst))
	}
	return dst, ends, m.scrape.bad
}

// AppendProto appends one scrape of every family of Names, in Names' order, in the
// delimited protobuf format (io.prometheus.client.MetricFamily messages, each preceded by
// its length as a varint: what Prometheus asks for when it scrapes native histograms, and
// what expfmt's protodelim encoder writes for Gather's families, byte for byte). Series,
// order, values, ends and errors are those of AppendText. It allocates nothing once dst
// and ends have grown.
func (e *Exposition) AppendProto(dst []byte, ends []int) ([]byte, []int, error) {
	m := e.m
	a := m.current.Load()
	m.sampleMu.Lock()
	defer m.sampleMu.Unlock()
	order, vals := m.scrape.sample(m, a)
	for fi := range partFamilies {
		f := &partFamilies[fi]
		// A message's length precedes it: size the family first.
		size, n := len(f.pbHeader), 0
		for i := range order {
			if _, ok := f.exported(&order[i], &vals[i]); ok {
				ml := len(order[i].pb) + pbGaugeLen
				size += 1 + protowire.SizeVarint(uint64(ml)) + ml
				n++
			}
		}
		if n > 0 {
			dst = protowire.AppendVarint(dst, uint64(size))
			dst = append(dst, f.pbHeader...)
			for i := range order {
				x, ok := f.exported(&order[i], &vals[i])
				if !ok {
					continue
				}
				// MetricFamily.metric (4): Metric{label (1) x2, gauge (2): Gauge{value (1): double}}.
				dst = protowire.AppendTag(dst, 4, protowire.BytesType)
				dst = protowire.AppendVarint(dst, uint64(len(order[i].pb)+pbGaugeLen))
				dst = append(dst, order[i].pb...)
				dst = protowire.AppendTag(dst, 2, protowire.BytesType)
				dst = protowire.AppendVarint(dst, 1+8)
				dst = protowire.AppendTag(dst, 1, protowire.Fixed64Type)
				dst = protowire.AppendFixed64(dst, math.Float64bits(f.float(x)))
			}
		}
		ends = append(ends, len(dst))
	}
	return dst, ends, m.scrape.bad
}

// exported is f's value for entry e with values v, and whether the series is served: the
// partition has the value and its topic can be a label value (text, protobuf and dto
// alike).
func (f *partFamily) exported(e *scrapeEntry, v *values) (int64, bool) {
	x, ok := f.value(v)
	return x, ok && !e.bad
}

// pbGaugeLen is the size of Metric.gauge holding a Gauge with its value: tag, length,
// then the value's tag and eight bytes.
const pbGaugeLen = 1 + 1 + 1 + 8

// appendLabelPB appends a Metric.label field (1) holding LabelPair{name, value}.
func appendLabelPB(dst []byte, name, value string) []byte {
	lp := protowire.SizeTag(1) + protowire.SizeBytes(len(name)) + protowire.SizeTag(2) + protowire.SizeBytes(len(value))
	dst = protowire.AppendTag(dst, 1, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(lp))
	dst = protowire.AppendTag(dst, 1, protowire.BytesType)
	dst = protowire.AppendString(dst, name)
	dst = protowire.AppendTag(dst, 2, protowire.BytesType)
	return protowire.AppendString(dst, value)
}

// Gather returns one scrape of the families as dto metric families (for exposition
// formats other than text and delimited protobuf), sorted by name, with the same series and values AppendText
// writes. Every call allocates its own dto (a handful of allocations in all, whatever the
// number of partitions), so the result stays valid after later scrapes.
func (e *Exposition) Gather() ([]*dto.MetricFamily, error) {
	m := e.m
	a := m.current.Load()
	m.sampleMu.Lock()
	defer m.sampleMu.Unlock()
	order, vals := m.scrape.sample(m, a)
	total := 0
	var counts [len(partFamilies)]int
	for fi := range partFamilies {
		for i := range order {
			if _, ok := partFamilies[fi].exported(&order[i], &vals[i]); ok {
				counts[fi]++
			}
		}
		total += counts[fi]
	}
	metrics := make([]dto.Metric, total)
	gauges := make([]dto.Gauge, total)
	floats := make([]float64, total)
	ptrs := make([]*dto.Metric, total)
	out := make([]*dto.MetricFamily, 0, len(partFamilies))
	k := 0
	for fi := range partFamilies {
		f := &partFamilies[fi]
		if counts[fi] == 0 {
			continue
		}
		first := k
		for i := range order {
			x, ok := f.exported(&order[i], &vals[i])
			if !ok {
				continue
			}
			floats[k] = f.float(x)
			gauges[k].Value = &floats[k]
			metrics[k].Label = order[i].labels
			metrics[k].Gauge = &gauges[k]
			ptrs[k] = &metrics[k]
			k++
		}
		out = append(out, &dto.MetricFamily{
			Name:   proto.String(f.name),
			Help:   proto.String(f.help),
			Type:   dto.MetricType_GAUGE.Enum(),
			Metric: ptrs[first:k:k],
		})
	}
	return out, m.scrape.bad
}

// labelEscaper and helpEscaper escape label values and HELP texts as the text format
// (and expfmt) does.
var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func appendEscaped(dst []byte, v string) []byte {
	if !strings.ContainsAny(v, "\\\n\"") {
		return append(dst, v...)
	}
	return append(dst, labelEscaper.Replace(v)...)
}

// appendFloat formats a sample value as expfmt does: shortest 'g' form, with the special
// cases 0, 1, -1, NaN and ±Inf spelt as the text format wants them.
func appendFloat(dst []byte, f float64) []byte {
	switch {
	case f == 1:
		return append(dst, '1')
	case f == 0:
		return append(dst, '0')
	case f == -1:
		return append(dst, "-1"...)
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, +1):
		return append(dst, "+Inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-Inf"...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// appendCount appends appendFloat(float64(n)) in a quarter of the time: below 1e6 the
// shortest 'g' form of an integer is its decimal digits.
func appendCount(dst []byte, n int64) []byte {
	if n >= 0 && n < 1e6 {
		return strconv.AppendInt(dst, n, 10)
	}
	return appendFloat(dst, float64(n))
}

// appendSeconds appends appendFloat(seconds(ns)) without the shortest-float search, which
// is most of a scrape's formatting. For 1e5 <= ns < 1e15 the value is ns/1e9 correctly
// rounded (ns is exact in a float64); the decimal ns·10⁻⁹ rounds to that value, and no
// other decimal of as few digits does, because such a decimal differs from it by at least
// 1e-9 while the value's rounding interval is narrower than that below 2^23 s. So the
// shortest 'g' form is ns's digits with the point moved nine places and trailing zeros
// dropped; 'g' uses no exponent for 1e-4 <= value < 1e6 (ns from 1e5 to 1e15).
// TestAppendSecondsMatchesStrconv checks it against strconv.
func appendSeconds(dst []byte, ns int64) []byte {
	if ns < 1e5 || ns >= 1e15 {
		return appendFloat(dst, seconds(ns))
	}
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], ns, 10)
	frac := d[max(len(d)-9, 0):]
	whole := d[:len(d)-len(frac)]
	for len(frac) > 0 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	if len(whole) == 0 {
		dst = append(dst, '0')
	} else {
		dst = append(dst, whole...)
	}
	if len(frac) == 0 {
		return dst
	}
	dst = append(dst, '.')
	for range 9 - len(d) {
		dst = append(dst, '0') // leading zeros of a value below 1
	}
	return append(dst, frac...)
}
