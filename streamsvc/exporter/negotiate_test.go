package exporter

import (
	"net/http"
	"testing"
)

// acceptsGzip picks what promhttp's negotiation (highest q among identity and gzip,
// identity on a tie, nothing at q=0) picks.
func TestAcceptsGzip(t *testing.T) {
	for _, c := range []struct {
		header []string
		want   bool
	}{
		{nil, false},
		{[]string{"gzip"}, true},              // Prometheus
		{[]string{"gzip, deflate, br"}, true}, // browsers
		{[]string{"zstd,gzip"}, true},         // Prometheus with zstd scrapes
		{[]string{"identity"}, false},
		{[]string{"*"}, false},
		{[]string{"gzip, identity"}, false},
		{[]string{"gzip;q=1.0, identity;q=0.5"}, true},
		{[]string{"gzip;q=0"}, false},
		{[]string{"identity;q=0, gzip;q=0.1"}, true},
		{[]string{"GZIP"}, true},
		{[]string{"gzip;q=abc"}, false},
		{[]string{"deflate", "gzip;q=0.5"}, true},
		{[]string{"br"}, false},
	} {
		h := http.Header{}
		for _, v := range c.header {
			h.Add("Accept-Encoding", v)
		}
		if got := acceptsGzip(h); got != c.want {
			t.Errorf("Accept-Encoding %q: gzip %v, want %v", c.header, got, c.want)
		}
	}
}
