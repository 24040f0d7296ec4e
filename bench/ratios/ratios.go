package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Result is one benchmark line: its metrics by unit (ns/op, records/s, B/op, allocs/op).
type Result map[string]float64

// benchLine matches "BenchmarkName-2   	 3	 559848120 ns/op	 89310 records/s ...".
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// Parse reads go test -bench output; repeated runs of one benchmark (-count) are averaged.
func Parse(r io.Reader) (map[string]Result, error) {
	sums := map[string]Result{}
	counts := map[string]map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		f := strings.Fields(m[3])
		if len(f)%2 != 0 {
			return nil, fmt.Errorf("line %d: %q: want value/unit pairs", line, sc.Text())
		}
		name := strings.TrimPrefix(m[1], "Benchmark")
		if sums[name] == nil {
			sums[name], counts[name] = Result{}, map[string]int{}
		}
		for i := 0; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: value %q: %v", line, f[i], err)
			}
			sums[name][f[i+1]] += v
			counts[name][f[i+1]]++
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for name, r := range sums {
		for unit := range r {
			r[unit] /= float64(counts[name][unit])
		}
	}
	return sums, nil
}

// Figure is one ratio: Subject's metric over Baseline's. Higher says whether a higher
// ratio is better (throughput) or worse (time). Goal is the bound the ratio is held to;
// 0 means reported, no goal. Without a Baseline the figure is absolute: Subject's value
// itself is held to Goal.
type Figure struct {
	Name     string
	Subject  string
	Baseline string
	Unit     string
	Goal     float64
	Higher   bool // true: ratio >= Goal is met; false: ratio <= Goal is met
	Note     string
}

// Figures are the ratios of docs/PERFORMANCE.md.
var Figures = []Figure{
	{Name: "consume 100B streamsvc/raw", Subject: "ConsumeStreamsvc100B", Baseline: "ConsumeRaw100B", Unit: "records/s", Goal: 0.5, Higher: true},
	{Name: "consume 1KiB streamsvc/raw", Subject: "ConsumeStreamsvc1KiB", Baseline: "ConsumeRaw1KiB", Unit: "records/s", Goal: 0.5, Higher: true},
	{Name: "consume 100B raw+lag/raw", Subject: "ConsumeRawLag100B", Baseline: "ConsumeRaw100B", Unit: "records/s", Higher: true, Note: "two separate runs: their 5-15% spread is wider than the 3% goal, judged on lag overhead below"},
	{Name: "consume 1KiB raw+lag/raw", Subject: "ConsumeRawLag1KiB", Baseline: "ConsumeRaw1KiB", Unit: "records/s", Higher: true, Note: "two separate runs: their 5-15% spread is wider than the 3% goal, judged on lag overhead below"},
	{Name: "consume 100B lag overhead", Subject: "ConsumeRawLag100B", Unit: "lag-overhead", Goal: 0.03, Note: "lag tracking under 3%: time in lagmon calls over the rest of the raw loop, same run; one update per partition per poll, as streamsvc"},
	{Name: "consume 1KiB lag overhead", Subject: "ConsumeRawLag1KiB", Unit: "lag-overhead", Goal: 0.03, Note: "lag tracking under 3%: time in lagmon calls over the rest of the raw loop, same run; one update per partition per poll, as streamsvc"},
	{Name: "consume 100B lag overhead per record", Subject: "ConsumeRawLagPerRecord100B", Unit: "lag-overhead", Note: "reported: Processed after every record instead"},
	{Name: "consume 1KiB lag overhead per record", Subject: "ConsumeRawLagPerRecord1KiB", Unit: "lag-overhead", Note: "reported: Processed after every record instead"},
	{Name: "vet kafkavet/plain", Subject: "VetPair", Unit: "kafkavet/plain", Goal: 1.0, Note: "go vet -vettool=kafkavet vs go vet on ./streamsvc/..., interleaved passes, same run"},
	{Name: "lagmon hot path", Subject: "Processed", Unit: "ns/op", Goal: 20, Note: "slot.Processed"},
	{Name: "lagmon hot path/2 atomics", Subject: "Processed", Baseline: "BaselineTwoAtomicStores", Unit: "ns/op", Goal: 1.5, Higher: false, Note: "the machine's cost of two atomic stores, same run"},
	{Name: "lagmon hot path allocs", Subject: "Processed", Unit: "allocs/op", Goal: 0},
	{Name: "lagmon scrape 100", Subject: "Scrape/partitions=100", Unit: "ns/op", Goal: 20e6},
	{Name: "lagmon scrape 1000", Subject: "Scrape/partitions=1000", Unit: "ns/op", Goal: 20e6},
	{Name: "lagmon scrape 10000", Subject: "Scrape/partitions=10000", Unit: "ns/op", Goal: 20e6, Note: "no Kafka request"},
	{Name: "lagmon refresh 10000", Subject: "Refresh10000", Unit: "ns/op", Note: "reported, no goal"},
	{Name: "verify repo warm", Subject: "VerifyRepoWarm", Unit: "ns/op", Goal: 1e9, Note: "pre-commit run on this repo"},
	{Name: "rules verify/promtool", Subject: "RulesVerify", Baseline: "RulesPromtool", Unit: "ns/op", Goal: 1.0, Higher: false, Note: "on ../shared/corpora"},
	{Name: "verify repo cold", Subject: "VerifyRepoCold", Unit: "ns/op", Note: "result cache off, Go build cache warm; reported, no goal"},
	{Name: "verify repo one edit", Subject: "VerifyRepoOneEdit", Unit: "ns/op", Goal: 1e9, Note: "one .go file edited since the last run, result cache on"},
	{Name: "lagmon scrape HTTP 1000", Subject: "ScrapeHTTP/partitions=1000", Unit: "ns/op", Goal: 20e6, Note: "GET /metrics with Prometheus's headers, gzip"},
	{Name: "lagmon scrape HTTP 10000", Subject: "ScrapeHTTP/partitions=10000", Unit: "ns/op", Goal: 20e6, Note: "GET /metrics with Prometheus's headers, gzip"},
	{Name: "lagmon scrape HTTP 10000 identity", Subject: "ScrapeHTTPIdentity/partitions=10000", Unit: "ns/op", Goal: 20e6, Note: "GET /metrics without compression"},
	{Name: "lagmon scrape HTTP proto 10000", Subject: "ScrapeHTTPProto/partitions=10000", Unit: "ns/op", Goal: 20e6, Note: "GET /metrics as a Prometheus with native histograms asks: delimited protobuf, gzip"},
	{Name: "lagmon scrape HTTP proto/promhttp 10000", Subject: "ScrapeHTTPProto/partitions=10000", Baseline: "ScrapeHTTPProtoPromhttp/partitions=10000", Unit: "ns/op", Goal: 0.1, Higher: false, Note: "the same protobuf request answered by promhttp over the registry, same run"},
	{Name: "lagmon scrape HTTP/promhttp 10000", Subject: "ScrapeHTTP/partitions=10000", Baseline: "ScrapeHTTPPromhttp/partitions=10000", Unit: "ns/op", Goal: 0.1, Higher: false, Note: "the same request answered by promhttp over the registry, same run"},
	{Name: "verify repo cold cpu", Subject: "VerifyRepoCold", Unit: "cpu-ns/op", Note: "CPU time (user+sys, go list included) of the cold run; steadier than wall time on a shared machine"},
	{Name: "verify repo one edit cpu", Subject: "VerifyRepoOneEdit", Unit: "cpu-ns/op", Note: "CPU time of the one-edit run"},
	{Name: "vet kafkavet/plain ext-repo", Subject: "VetPairExt", Unit: "kafkavet/plain", Goal: 1.0, Note: "go vet ./... in BENCH_EXT_REPO, a public repository copied outside this one, interleaved passes"},
	{Name: "vet kafkavet/plain cpu", Subject: "VetPair", Unit: "kafkavet/plain-cpu", Goal: 1.0, Note: "CPU time (user+sys, vettool runs included) of the same passes; steadier than wall time on a shared machine"},
	{Name: "vet kafkavet/plain ext cpu", Subject: "VetPairExt", Unit: "kafkavet/plain-cpu", Goal: 1.0, Note: "CPU time of the BENCH_EXT_REPO passes"},
	{Name: "rules verify/promtool cpu", Subject: "RulesVerify", Baseline: "RulesPromtool", Unit: "cpu-ns/op", Goal: 1.0, Higher: false, Note: "CPU time of the same passes"},
	{Name: "verify repo changed", Subject: "VerifyRepoChanged", Unit: "ns/op", Goal: 1e9, Note: "verify -changed (pre-commit hook), streamsvc/server edited since the last commit; CPU time in cpu-ns/op"},
	{Name: "verify repo changed/go/packages", Subject: "VerifyRepoChanged", Baseline: "VerifyRepoChangedGoPackages", Unit: "ns/op", Goal: 1.0, Higher: false, Note: "the fast loader vs go/packages (STREAMAUDIT_LOADER=gopackages), same edits, same run"},
}

// Lines renders one line per figure: name, ratio, goal, met|MISSED, the two values.
func Lines(res map[string]Result, figs []Figure) []string {
	var out []string
	for _, f := range figs {
		if f.Baseline == "" {
			out = append(out, absolute(res, f))
			continue
		}
		s, okS := res[f.Subject][f.Unit]
		b, okB := res[f.Baseline][f.Unit]
		if !okS || !okB || b == 0 {
			missing := []string{}
			if !okS {
				missing = append(missing, f.Subject)
			}
			if !okB || b == 0 {
				missing = append(missing, f.Baseline)
			}
			out = append(out, fmt.Sprintf("%-28s ratio=n/a goal=%s%.2f status=not-run missing=%s", f.Name, cmp(f.Higher), f.Goal, strings.Join(missing, ",")))
			continue
		}
		ratio := s / b
		var line string
		if f.Goal == 0 { // reported, no goal
			line = fmt.Sprintf("%-28s ratio=%.3f status=reported subject=%.4g baseline=%.4g unit=%s", f.Name, ratio, s, b, f.Unit)
		} else {
			met := ratio >= f.Goal
			if !f.Higher {
				met = ratio <= f.Goal
			}
			status := "met"
			if !met {
				status = "MISSED"
			}
			line = fmt.Sprintf("%-28s ratio=%.3f goal=%s%.2f status=%s subject=%.4g baseline=%.4g unit=%s", f.Name, ratio, cmp(f.Higher), f.Goal, status, s, b, f.Unit)
		}
		if f.Note != "" {
			line += " (" + f.Note + ")"
		}
		out = append(out, line)
	}
	return out
}

func cmp(higher bool) string {
	if higher {
		return ">="
	}
	return "<="
}

// absolute renders a figure without a baseline: the value against the goal (a Goal of 0
// with a time unit means "reported, no goal").
func absolute(res map[string]Result, f Figure) string {
	v, ok := res[f.Subject][f.Unit]
	if !ok {
		return fmt.Sprintf("%-28s value=n/a status=not-run missing=%s", f.Name, f.Subject)
	}
	line := fmt.Sprintf("%-28s value=%.4g unit=%s", f.Name, v, f.Unit)
	switch {
	case f.Goal == 0 && f.Unit != "allocs/op":
		line += " status=reported"
	case v <= f.Goal:
		line += fmt.Sprintf(" goal=<=%.4g status=met", f.Goal)
	default:
		line += fmt.Sprintf(" goal=<=%.4g status=MISSED", f.Goal)
	}
	if f.Note != "" {
		line += " (" + f.Note + ")"
	}
	return line
}
