package exporter

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Source serves metric families on /metrics next to the registry's, without passing
// them through prometheus.Registry.Gather, which costs about a microsecond per series in
// dto allocation, duplicate-detection hashing and sorting (lagmon.Exposition serves five
// gauges per owned partition this way). A Source's series must be unique, and its family
// names must be served neither by the registry nor by another Source: the handler answers
// 500 when they are, as promhttp does for a registry that yields a series twice.
type Source interface {
	// Gather returns one scrape as dto families sorted by name; /metrics uses it for
	// every exposition format but text (protobuf, ...).
	prometheus.Gatherer
	// Names returns the names of the families the Source serves, sorted; they must not
	// change over the Source's life.
	Names() []string
	// AppendText appends one scrape in the text exposition format with the families in
	// Names' order (a family without series is not written at all) and appends to ends
	// the offset in dst where each family ends. On an error it still appends what it
	// could; /metrics then answers 500.
	AppendText(dst []byte, ends []int) ([]byte, []int, error)
}

// ProtoSource is a Source that also writes its families in the delimited protobuf format
// (what Prometheus negotiates when it scrapes native histograms). When every Source is
// one, /metrics answers protobuf requests as it answers text ones, without Gather.
type ProtoSource interface {
	Source
	// AppendProto is AppendText in the delimited protobuf format: one length-prefixed
	// io.prometheus.client.MetricFamily message per family with series.
	AppendProto(dst []byte, ends []int) ([]byte, []int, error)
}

// AddSource makes /metrics serve src's families next to the registry's. Call it before
// Register or Handler.
func (m *Metrics) AddSource(src Source) { m.sources = append(m.sources, src) }

// Handler returns the /metrics handler. Without sources it is promhttp's handler for
// m.Registry. With sources, a request that negotiates the text format (what Prometheus
// and browsers get) is answered by writing the registry's families with expfmt and the
// sources' families with their own AppendText, all in name order, gzip-compressed (at
// gzip.BestSpeed) when the client accepts it; delimited protobuf (Prometheus scraping
// native histograms) likewise with AppendProto when every source is a ProtoSource. Any
// other format goes to promhttp's handler over a gatherer that merges the registry and
// the sources. Errors answer 500 and count in promhttp_metric_handler_errors_total, as
// with promhttp.
func (m *Metrics) Handler() http.Handler {
	opts := promhttp.HandlerOpts{Registry: m.Registry}
	if len(m.sources) == 0 {
		return promhttp.HandlerFor(m.Registry, opts)
	}
	sources := slices.Clone(m.sources)
	h := &metricsHandler{reg: m.Registry, sources: sources, proto: true}
	for _, src := range sources {
		if _, ok := src.(ProtoSource); !ok {
			h.proto = false
		}
	}
	// Same desc as promhttp's own counter: promhttp.HandlerFor below finds it registered
	// and counts into it too.
	h.errs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "promhttp_metric_handler_errors_total",
		Help: "Total number of internal errors encountered by the promhttp metric handler.",
	}, []string{"cause"})
	if err := m.Registry.Register(h.errs); err != nil {
		are, ok := err.(prometheus.AlreadyRegisteredError)
		if !ok {
			panic(fmt.Sprintf("exporter: register promhttp_metric_handler_errors_total: %v", err))
		}
		h.errs = are.ExistingCollector.(*prometheus.CounterVec)
	}
	h.errs.WithLabelValues("gathering")
	h.errs.WithLabelValues("encoding")
	h.fallback = promhttp.HandlerFor(mergedGatherer{m.Registry, sources}, opts)
	return h
}

// metricsHandler is /metrics with sources: see Handler.
type metricsHandler struct {
	reg      prometheus.Gatherer
	sources  []Source
	errs     *prometheus.CounterVec
	fallback http.Handler
	proto    bool // every source is a ProtoSource
}

// scrapeBuf holds one scrape's text; pooled, so a steady scrape rate allocates nothing
// for its text once the buffers have grown.
type scrapeBuf struct {
	reg  bytes.Buffer // the registry's families
	src  [][]byte     // per source: its families
	ends [][]int      // per source: where each family ends
	segs []segment
}

// segment is one family's text.
type segment struct {
	name string
	text []byte
}

var (
	scrapeBufs = sync.Pool{New: func() any { return new(scrapeBuf) }}
	gzipPool   = sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
		return w
	}}
)

func (h *metricsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The negotiation promhttp does with its default options (no OpenMetrics).
	format := expfmt.NegotiateAccept(r.Header, expfmt.DefaultAcceptedFormats()...)
	switch format.FormatType() {
	case expfmt.TypeTextPlain:
	case expfmt.TypeProtoDelim:
		if !h.proto {
			h.fallback.ServeHTTP(w, r)
			return
		}
	default:
		h.fallback.ServeHTTP(w, r)
		return
	}
	b := scrapeBufs.Get().(*scrapeBuf)
	defer scrapeBufs.Put(b)
	size, err := h.collect(b, r, format)
	if err != nil {
		http.Error(w, "An error has occurred while serving metrics:\n\n"+err.Error(), http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Add("Vary", "Accept")
	hdr.Add("Vary", "Accept-Encoding")
	hdr.Set("Content-Type", string(format))
	var out io.Writer = w
	var zw *gzip.Writer
	if acceptsGzip(r.Header) {
		hdr.Set("Content-Encoding", "gzip")
		zw = gzipPool.Get().(*gzip.Writer)
		defer gzipPool.Put(zw)
		zw.Reset(w)
		out = zw
	} else {
		hdr.Set("Content-Length", strconv.Itoa(size))
	}
	for _, s := range b.segs {
		if _, err = out.Write(s.text); err != nil {
			break
		}
	}
	if zw != nil {
		if cerr := zw.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		h.errs.WithLabelValues("encoding").Inc() // the client went away mid-response
	}
}

// collect gathers the registry and the sources into b in format (text or delimited
// protobuf): b.segs are the families to write in order (name[] filters applied). It
// returns their total size.
func (h *metricsHandler) collect(b *scrapeBuf, r *http.Request, format expfmt.Format) (int, error) {
	proto := format.FormatType() == expfmt.TypeProtoDelim
	scheme := format.ToEscapingScheme()
	var filter map[string]bool
	if r.URL != nil {
		if names := r.URL.Query()["name[]"]; len(names) > 0 {
			filter = map[string]bool{}
			for _, n := range names {
				filter[n] = true
			}
		}
	}
	mfs, err := h.reg.Gather()
	if err != nil {
		h.errs.WithLabelValues("gathering").Inc()
		return 0, err
	}
	b.reg.Reset()
	b.segs = b.segs[:0]
	type regFam struct {
		name     string
		from, to int
	}
	var regs []regFam
	var enc expfmt.Encoder
	if proto {
		enc = expfmt.NewEncoder(&b.reg, format) // escapes as promhttp's encoder does
	}
	for _, mf := range mfs {
		if filter != nil && !filter[mf.GetName()] {
			continue
		}
		from := b.reg.Len()
		if proto {
			err = enc.Encode(mf)
		} else {
			_, err = expfmt.MetricFamilyToText(&b.reg, model.EscapeMetricFamily(mf, scheme))
		}
		if err != nil {
			h.errs.WithLabelValues("encoding").Inc()
			return 0, err
		}
		regs = append(regs, regFam{mf.GetName(), from, b.reg.Len()})
	}
	for _, f := range regs {
		b.segs = append(b.segs, segment{f.name, b.reg.Bytes()[f.from:f.to]})
	}
	for len(b.src) < len(h.sources) {
		b.src, b.ends = append(b.src, nil), append(b.ends, nil)
	}
	for i, src := range h.sources {
		if proto {
			b.src[i], b.ends[i], err = src.(ProtoSource).AppendProto(b.src[i][:0], b.ends[i][:0])
		} else {
			b.src[i], b.ends[i], err = src.AppendText(b.src[i][:0], b.ends[i][:0])
		}
		if err != nil {
			h.errs.WithLabelValues("gathering").Inc()
			return 0, err
		}
		names := src.Names()
		if len(b.ends[i]) != len(names) {
			h.errs.WithLabelValues("gathering").Inc()
			return 0, fmt.Errorf("exporter: source %T wrote %d families, its Names has %d", src, len(b.ends[i]), len(names))
		}
		from := 0
		for j, end := range b.ends[i] {
			if end > from && (filter == nil || filter[names[j]]) {
				b.segs = append(b.segs, segment{names[j], b.src[i][from:end]})
			}
			from = end
		}
	}
	slices.SortStableFunc(b.segs, func(x, y segment) int { return strings.Compare(x.name, y.name) })
	size := 0
	for i, s := range b.segs {
		if i > 0 && b.segs[i-1].name == s.name {
			h.errs.WithLabelValues("gathering").Inc()
			return 0, fmt.Errorf("exporter: metric family %s is served twice (by the registry or a source)", s.name)
		}
		size += len(s.text)
	}
	return size, nil
}

// acceptsGzip reports whether promhttp would pick gzip among identity and gzip for this
// Accept-Encoding header: the highest q wins, identity on a tie, nothing with q=0.
func acceptsGzip(h http.Header) bool {
	qIdentity, qGzip := -1.0, -1.0
	for _, line := range h.Values("Accept-Encoding") {
		for _, spec := range strings.Split(line, ",") {
			coding, params, _ := strings.Cut(spec, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			q := 1.0
			if p := strings.TrimSpace(params); p != "" {
				v, ok := strings.CutPrefix(p, "q=")
				if !ok {
					continue
				}
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || f < 0 || f > 1 {
					continue
				}
				q = f
			}
			if coding == "identity" || coding == "*" {
				qIdentity = max(qIdentity, q)
			}
			if coding == "gzip" || coding == "*" {
				qGzip = max(qGzip, q)
			}
		}
	}
	return qGzip > qIdentity && qGzip > 0
}

// mergedGatherer gathers the registry and the sources into one sorted list of families,
// for the formats promhttp encodes. It does not re-check every series as
// prometheus.Gatherers would (a hash per series): only family names are checked for
// duplicates.
type mergedGatherer struct {
	reg     prometheus.Gatherer
	sources []Source
}

func (g mergedGatherer) Gather() ([]*dto.MetricFamily, error) {
	var errs prometheus.MultiError
	mfs, err := g.reg.Gather()
	errs.Append(err)
	for _, src := range g.sources {
		s, err := src.Gather()
		errs.Append(err)
		mfs = append(mfs, s...)
	}
	slices.SortStableFunc(mfs, func(x, y *dto.MetricFamily) int { return strings.Compare(x.GetName(), y.GetName()) })
	out := mfs[:0]
	for _, mf := range mfs {
		if len(out) > 0 && out[len(out)-1].GetName() == mf.GetName() {
			errs.Append(fmt.Errorf("exporter: metric family %s is served twice (by the registry or a source)", mf.GetName()))
			continue
		}
		out = append(out, mf)
	}
	return out, errs.MaybeUnwrap()
}
