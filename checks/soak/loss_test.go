package soak

import (
	"fmt"
	"strings"
	"testing"
)

func TestAccount(t *testing.T) {
	source := []produced{
		{seq: "a/1", partition: 0, offset: 0},
		{seq: "a/2", partition: 0, offset: 1, invalid: true}, // dead-lettered
		{seq: "a/3", partition: 0, offset: 2, invalid: true}, // committed past, not in the DLQ: lost
		{seq: "a/4", partition: 0, offset: 3},                // at the committed offset: never processed
		{seq: "b/1", partition: 1, offset: 0, invalid: true}, // dead-lettered twice
		{seq: "b/1", partition: 1, offset: 1, invalid: true}, // produced twice
	}
	dead := []produced{{seq: "a/2"}, {seq: "b/1"}, {seq: "b/1"}}
	l := account(source, dead, map[int32]int64{0: 3, 1: 2})
	want := Loss{Produced: 6, Processed: 1, DLQ: 2, Missing: 1, Unprocessed: 1, Duplicates: 2}
	got := *l
	got.Examples = nil
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("account = %+v, want %+v", got, want)
	}
	ex := strings.Join(l.Examples, "; ")
	if !strings.Contains(ex, "a/3 (p0@2, invalid, committed past, not in the DLQ)") || !strings.Contains(ex, "a/4 (p0@3, never committed)") {
		t.Fatalf("examples %q should name the lost and the unprocessed record", ex)
	}
	fs := Findings(Subject{Target: "streamsvc", Source: "cmd/streamsvc"}, ScenarioDLQOutage, nil, nil, nil, l)
	if len(fs) != 1 || fs[0].Rule != "soak-data-loss" || !strings.Contains(fs[0].Message, "1 never processed") {
		t.Fatalf("findings %+v", fs)
	}
}

func TestAckedLost(t *testing.T) {
	source := []produced{{seq: "r-0/1"}, {seq: "r-0/2"}, {seq: "r-0/4"}, {seq: "r-1/1"}, {seq: "r-1/1"}, {seq: "r-1/2"}}
	// 8 acknowledged: r-0/3 is a gap, and three records are missing at the tails.
	n, ex := ackedLost(source, 8)
	if n != 3 || strings.Join(ex, ",") != "r-0/3" {
		t.Fatalf("ackedLost = %d %v, want 3 [r-0/3]", n, ex)
	}
	if n, ex := ackedLost(source, 5); n != 0 || ex != nil {
		t.Fatalf("ackedLost with every acknowledged record present = %d %v, want 0", n, ex)
	}
	fs := Findings(Subject{Target: "streamsvc", Source: "cmd/streamsvc"}, ScenarioBrokerRestart, nil, nil, nil, &Loss{Produced: 6, AckedLost: 3, AckedLostExamples: ex})
	if len(fs) != 1 || fs[0].Rule != "soak-data-loss" || !strings.Contains(fs[0].Message, "3 records acknowledged to the producer are not in the topic") {
		t.Fatalf("findings %+v", fs)
	}
}
