package main

import (
	"strings"
	"testing"
)

const out = `goos: linux
BenchmarkConsumeRaw1KiB-2         	       3	 970633360 ns/op	     50000 records/s	128118085 B/op	  109807 allocs/op
BenchmarkConsumeRaw1KiB-2         	       3	 970633360 ns/op	     70000 records/s	128118085 B/op	  109807 allocs/op
BenchmarkConsumeStreamsvc1KiB-2   	       3	5468084993 ns/op	      9000 records/s	319533720 B/op	  824612 allocs/op
BenchmarkConsumeRawLag1KiB-2 3 970633360 ns/op 0.012 lag-overhead 61000 records/s
BenchmarkConsumeRawLagPerRecord1KiB-2 3 970633360 ns/op 0.045 lag-overhead 59000 records/s
BenchmarkProcessed-2 1000000 4.5 ns/op 0 B/op 0 allocs/op
BenchmarkScrape/partitions=10000-2 100 25000000 ns/op
BenchmarkVetPair-2 1 70000000000 ns/op 0.75 kafkavet/plain 0.8 kafkavet/plain-cpu 1.3e10 plain-ns/pass 1e10 kafkavet-ns/pass
PASS
`

func TestLines(t *testing.T) {
	res, err := Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if got := res["ConsumeRaw1KiB"]["records/s"]; got != 60000 {
		t.Fatalf("two runs averaged: %v, want 60000", got)
	}
	lines := strings.Join(Lines(res, Figures), "\n")
	for _, want := range []string{
		"consume 1KiB streamsvc/raw   ratio=0.150 goal=>=0.50 status=MISSED",
		"vet kafkavet/plain           value=0.75 unit=kafkavet/plain goal=<=1 status=met",
		"lagmon hot path              value=4.5 unit=ns/op goal=<=20 status=met",
		"lagmon hot path allocs       value=0 unit=allocs/op goal=<=0 status=met",
		"lagmon scrape 10000          value=2.5e+07 unit=ns/op goal=<=2e+07 status=MISSED",
		"lagmon refresh 10000         value=n/a status=not-run",
		"consume 1KiB raw+lag/raw     ratio=1.017 status=reported subject=6.1e+04 baseline=6e+04 unit=records/s",
		"consume 1KiB lag overhead    value=0.012 unit=lag-overhead goal=<=0.03 status=met",
		"consume 1KiB lag overhead per record value=0.045 unit=lag-overhead status=reported",
		"consume 100B streamsvc/raw   ratio=n/a goal=>=0.50 status=not-run missing=ConsumeStreamsvc100B,ConsumeRaw100B",
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("missing %q in\n%s", want, lines)
		}
	}
}

func TestParseRejectsBrokenLines(t *testing.T) {
	if _, err := Parse(strings.NewReader("BenchmarkX-2 3 12 ns/op 7\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("want a line-1 error, got %v", err)
	}
}
