package metrics

import (
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint/validations"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"github.com/streamaudit/streamaudit/checks"
)

// lintValidations are client_golang promlint's name checks that can run on a statically
// known family (name, type, label names). Help text and duplicate checks need a live
// exposition and are left out.
var lintValidations = []func(*dto.MetricFamily) []error{
	validations.LintCounter,
	validations.LintMetricUnits,
	validations.LintUnitAbbreviations,
	validations.LintMetricTypeInName,
	validations.LintReservedChars,
	validations.LintCamelCase,
	validations.LintHistogramSummaryReserved,
}

// unboundedLabels are label names whose values grow with group members or clients
// (STYLE.md: no member or client ids in labels).
var unboundedLabels = map[string]bool{"member_id": true, "client_id": true, "consumer_id": true, "instance_id": true}

// Naming returns metric-naming findings for the metrics the audited code declares
// (library collectors are not the audited repo's to rename). Each family is reported
// once per problem, at its first declaration.
func Naming(entries []Entry) []checks.Finding {
	var out []checks.Finding
	seen := map[string]bool{}
	for _, e := range entries {
		m := e.Metric
		if e.Library != "" || !m.Resolved {
			continue
		}
		mf := family(m)
		var problems []string
		for _, v := range lintValidations {
			for _, err := range v(mf) {
				problems = append(problems, err.Error())
			}
		}
		for _, l := range m.Labels {
			if unboundedLabels[l] {
				problems = append(problems, fmt.Sprintf("label %q grows with group members or clients; drop it or aggregate", l))
			}
		}
		for _, p := range problems {
			key := m.Name + "\x00" + p
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, checks.Finding{
				Rule:     "metric-naming",
				Message:  fmt.Sprintf("%s %s: %s", m.Type, m.Name, p),
				File:     m.File,
				Line:     m.Line,
				Evidence: m.Name,
				Key:      m.Name + " " + p,
				Fix:      namingFix(m, p),
			})
		}
	}
	return out
}

func namingFix(m checks.Metric, problem string) string {
	switch {
	case strings.Contains(problem, `should have "_total"`):
		return "rename to " + m.Name + "_total"
	case strings.Contains(problem, `should not have "_total"`):
		return "rename to " + strings.TrimSuffix(m.Name, "_total") + " or make it a counter"
	case strings.Contains(problem, "base unit"):
		return "convert the value to the base unit and rename the metric"
	}
	return ""
}

func family(m checks.Metric) *dto.MetricFamily {
	t := dto.MetricType_UNTYPED
	switch m.Type {
	case "counter":
		t = dto.MetricType_COUNTER
	case "gauge":
		t = dto.MetricType_GAUGE
	case "histogram":
		t = dto.MetricType_HISTOGRAM
	case "summary":
		t = dto.MetricType_SUMMARY
	}
	metric := &dto.Metric{}
	for _, l := range m.Labels {
		metric.Label = append(metric.Label, &dto.LabelPair{Name: proto.String(l), Value: proto.String("x")})
	}
	return &dto.MetricFamily{Name: proto.String(m.Name), Help: proto.String(m.Help), Type: &t, Metric: []*dto.Metric{metric}}
}
