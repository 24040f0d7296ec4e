package lagmon

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/streamaudit/streamaudit/streamsvc/exporter"
)

// prometheusAccept is the Accept header Prometheus 3 sends with its default scrape
// protocols; it asks for gzip too.
const prometheusAccept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.7," +
	"application/openmetrics-text;version=0.0.1;q=0.6,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.5," +
	"text/plain;version=0.0.4;q=0.4,*/*;q=0.3"

// scrapeHTTPServer is streamsvc's exporter (Go, process and franz-go collectors and the
// service's own metrics) with a lag monitor owning n lagging partitions. direct wires the
// monitor's Exposition as streamsvc/server does; otherwise every series goes through
// Registry.Gather and promhttp (the handler before the Exposition).
func scrapeHTTPServer(b *testing.B, n int, direct bool) http.Handler {
	em := exporter.NewMetrics()
	m, err := New(Config{}, em.Registry, &failLister{tb: b})
	if err != nil {
		b.Fatal(err)
	}
	assignN(m, "topic", n)
	now := time.Now()
	for _, s := range m.current.Load().order {
		s.hw.Store(1000)
		s.endAt.Store(now.UnixNano())
		s.Processed(500, now.Add(-time.Second))
	}
	if direct {
		em.AddSource(m.Exposition())
	}
	mux := http.NewServeMux()
	exporter.Register(mux, em, exporter.NewReadiness(em.Ready, nil))
	return mux
}

// benchScrapeHTTP serves GET /metrics through the exporter's handler (httptest, no
// network) with the given request headers, reporting the response size.
func benchScrapeHTTP(b *testing.B, direct bool, hdr map[string]string) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("partitions=%d", n), func(b *testing.B) {
			h := scrapeHTTPServer(b, n, direct)
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			body := new(bytes.Buffer)
			h.ServeHTTP(httptest.NewRecorder(), req) // grow the handler's pooled buffers once
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				body.Reset()
				rec.Body = body
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || body.Len() == 0 {
					b.Fatalf("GET /metrics: %d %.200s", rec.Code, body.String())
				}
			}
			b.ReportMetric(float64(body.Len()), "resp-bytes")
		})
	}
}

// BenchmarkScrapeHTTP is the scrape Prometheus pays: GET /metrics with Prometheus's
// Accept and Accept-Encoding: gzip headers, answered by streamsvc's handler.
func BenchmarkScrapeHTTP(b *testing.B) {
	benchScrapeHTTP(b, true, map[string]string{"Accept": prometheusAccept, "Accept-Encoding": "gzip"})
}

// BenchmarkScrapeHTTPIdentity is the same request without compression (curl, or a
// Prometheus with enable_compression: false).
func BenchmarkScrapeHTTPIdentity(b *testing.B) {
	benchScrapeHTTP(b, true, map[string]string{"Accept": prometheusAccept})
}

// BenchmarkScrapeHTTPPromhttp is BenchmarkScrapeHTTP's request answered by promhttp over
// the registry holding every series: the handler before the Exposition, the baseline of
// the same run.
func BenchmarkScrapeHTTPPromhttp(b *testing.B) {
	benchScrapeHTTP(b, false, map[string]string{"Accept": prometheusAccept, "Accept-Encoding": "gzip"})
}

// prometheusProtoAccept is the Accept header of a Prometheus that scrapes native
// histograms: delimited protobuf first.
const prometheusProtoAccept = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5," +
	"application/openmetrics-text;version=1.0.0;q=0.4,application/openmetrics-text;version=0.0.1;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1"

// BenchmarkScrapeHTTPProto is the scrape of a Prometheus with native histograms enabled:
// delimited protobuf, gzip, answered by streamsvc's handler (AppendProto).
func BenchmarkScrapeHTTPProto(b *testing.B) {
	benchScrapeHTTP(b, true, map[string]string{"Accept": prometheusProtoAccept, "Accept-Encoding": "gzip"})
}

// BenchmarkScrapeHTTPProtoPromhttp is the same request answered by promhttp over the
// registry holding every series (the baseline of the same run).
func BenchmarkScrapeHTTPProtoPromhttp(b *testing.B) {
	benchScrapeHTTP(b, false, map[string]string{"Accept": prometheusProtoAccept, "Accept-Encoding": "gzip"})
}
