package soak

import (
	"context"
	"fmt"
	"io"
	"net/http"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Sample is one series value from a /metrics page.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Samples is one scrape of a member.
type Samples []Sample

// ParseMetrics reads the Prometheus text exposition format. Counters, gauges and untyped
// metrics become one sample each; histograms and summaries contribute _sum and _count.
func ParseMetrics(r io.Reader) (Samples, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	var out Samples
	for name, fam := range fams {
		for _, m := range fam.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			switch fam.GetType() {
			case dto.MetricType_COUNTER:
				out = append(out, Sample{name, labels, m.GetCounter().GetValue()})
			case dto.MetricType_GAUGE:
				out = append(out, Sample{name, labels, m.GetGauge().GetValue()})
			case dto.MetricType_UNTYPED:
				out = append(out, Sample{name, labels, m.GetUntyped().GetValue()})
			case dto.MetricType_HISTOGRAM:
				out = append(out, Sample{name + "_sum", labels, m.GetHistogram().GetSampleSum()},
					Sample{name + "_count", labels, float64(m.GetHistogram().GetSampleCount())})
			case dto.MetricType_SUMMARY:
				out = append(out, Sample{name + "_sum", labels, m.GetSummary().GetSampleSum()},
					Sample{name + "_count", labels, float64(m.GetSummary().GetSampleCount())})
			}
		}
	}
	return out, nil
}

// Scrape fetches and parses url (a member's /metrics).
func Scrape(ctx context.Context, c *http.Client, url string) (Samples, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	s, err := ParseMetrics(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	return s, nil
}

// Value returns the first sample named name whose labels include every pair of match.
func (s Samples) Value(name string, match map[string]string) (float64, bool) {
	for _, x := range s {
		if x.Name == name && labelsMatch(x.Labels, match) {
			return x.Value, true
		}
	}
	return 0, false
}

// Sum adds every sample named name whose labels include match.
func (s Samples) Sum(name string, match map[string]string) float64 {
	var v float64
	for _, x := range s {
		if x.Name == name && labelsMatch(x.Labels, match) {
			v += x.Value
		}
	}
	return v
}

// Named returns every sample named name.
func (s Samples) Named(name string) []Sample {
	var out []Sample
	for _, x := range s {
		if x.Name == name {
			out = append(out, x)
		}
	}
	return out
}

func labelsMatch(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}
