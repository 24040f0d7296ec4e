package lagmon

import (
	"fmt"
	"testing"
	"time"
)

// Each per-partition series carries its own slot's labels and value, across topics whose
// partition labels sort differently as strings and as numbers, and after the assignment
// changes (the scrape order is cached per assignment).
func TestScrapeSeriesMatchTheirSlots(t *testing.T) {
	m, reg := newTestMonitor(t, Config{}, nil)
	now := time.Now()
	set := func(topic string, parts []int32) {
		for _, p := range parts {
			s := m.Slot(topic, p)
			s.hw.Store(int64(1000 + 100*len(topic) + int(p)))
			s.endAt.Store(now.UnixNano())
			s.Processed(999, now)
		}
	}
	check := func(want map[string][]int32) {
		t.Helper()
		got := scrape(t, reg)["websocket_kafka_consumer_lag"]
		n := 0
		for topic, parts := range want {
			for _, p := range parts {
				n++
				key := fmt.Sprintf("%s/%d", topic, p)
				if v, ok := got[key]; !ok || v != float64(100*len(topic)+int(p)) {
					t.Errorf("lag{%s} = %v (present %v), want %d", key, v, ok, 100*len(topic)+int(p))
				}
			}
		}
		if len(got) != n {
			t.Errorf("%d lag series, want %d: %v", len(got), n, got)
		}
	}
	first := map[string][]int32{"a": {0, 1, 2, 9, 10, 11, 100}, "bb": {1, 10, 2}}
	m.Assigned(first)
	for topic, parts := range first {
		set(topic, parts)
	}
	check(first)
	check(first) // cached order
	m.Revoked(map[string][]int32{"a": {10, 100}})
	m.Assigned(map[string][]int32{"ccc": {3, 30}})
	set("ccc", []int32{3, 30})
	check(map[string][]int32{"a": {0, 1, 2, 9, 11}, "bb": {1, 10, 2}, "ccc": {3, 30}})
}
