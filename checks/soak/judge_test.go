package soak

import (
	"strings"
	"testing"

	"github.com/streamaudit/streamaudit/checks"
)

var testLimits = MemoryLimits{PeakBytes: 200 << 20, SlopeBytesPerSecond: 64 << 10, MinGrowthBytes: 8 << 20, WarmupSeconds: 10, WindowSeconds: 5}

func ramp(n int, base, perSec float64) []Point {
	var pts []Point
	for i := 0; i < n; i++ {
		pts = append(pts, Point{T: float64(i), V: base + perSec*float64(i)})
	}
	return pts
}

func TestJudgeMemory(t *testing.T) {
	cases := []struct {
		name    string
		pts     []Point
		oom     bool
		bounded bool
		reason  string
	}{
		{"flat after warm-up", append(ramp(10, 10<<20, 2<<20), ramp(50, 30<<20, 0)[10:]...), false, true, "peak"},
		{"grows 1 MiB/s", ramp(60, 20<<20, 1<<20), false, false, "grows"},
		{"fetch-buffer sawtooth with a 25 s period", sawtooth(60, 3<<20, 90<<20, 25), false, true, "peak"},
		{"slow growth under the threshold", ramp(60, 20<<20, 16<<10), false, true, "peak"},
		{"peak over the bound", ramp(60, 250<<20, 0), false, false, "over the bound"},
		{"oom killed", ramp(5, 20<<20, 0), true, false, "OOM-killed"},
		{"too short to judge", ramp(12, 20<<20, 0), false, false, "too few"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := JudgeMemory("m1", "rss", c.pts, c.oom, testLimits)
			if v.Bounded != c.bounded || !strings.Contains(v.Reason, c.reason) {
				t.Fatalf("bounded=%t reason=%q; want bounded=%t and a reason mentioning %q", v.Bounded, v.Reason, c.bounded, c.reason)
			}
		})
	}
}

func TestFindings(t *testing.T) {
	sub := Subject{Target: "dashstream-v7", Source: "fixtures/dashstream-v7/cmd/websocket-server"}
	mem := []MemoryVerdict{
		JudgeMemory("m1", "rss", ramp(60, 20<<20, 1<<20), false, testLimits),
		JudgeMemory("m1", "heap_inuse", ramp(60, 20<<20, 0), false, testLimits),
	}
	own := []OwnershipCheck{
		CheckOwnership(OwnershipCheck{Event: "join #1", Member: "m1", Owned: []int32{0, 1, 2}, Exported: []int32{0, 1, 2, 3, 4, 5}}),
		CheckOwnership(OwnershipCheck{Event: "join #1", Member: "m2", Owned: []int32{3, 4, 5}, Exported: []int32{3, 4, 5}}),
	}
	if got := own[0].Stale; len(got) != 3 || got[0] != 3 {
		t.Fatalf("stale partitions of m1: %v, want [3 4 5]", got)
	}
	if own[1].Stale != nil {
		t.Fatalf("m2 exports only what it owns, got stale %v", own[1].Stale)
	}
	alerts := []Alert{{T: 20, Name: "KafkaConsumerLagHigh", State: "pending", File: "deploy/prometheus/lag_alerts.yml"}}
	loss := &Loss{Produced: 100, Processed: 97, Missing: 3, Examples: []string{"a-1/4", "a-1/5", "a-1/6"}}
	fs := Findings(sub, "rebalance", mem, own, alerts, loss)
	rules := map[string]int{}
	for _, f := range fs {
		rules[f.Rule]++
		if f.File != sub.Source {
			t.Errorf("%s points at %q, want %q", f.Rule, f.File, sub.Source)
		}
	}
	want := map[string]int{"soak-memory-unbounded": 1, "soak-stale-gauge": 1, "soak-false-alert": 1, "soak-data-loss": 1}
	for r, n := range want {
		if rules[r] != n {
			t.Errorf("rule %s: %d findings, want %d (all: %v)", r, rules[r], n, rules)
		}
	}
	if fs := Findings(sub, "throughput", mem[1:], own[1:], nil, &Loss{Produced: 10, Processed: 10}); len(fs) != 0 {
		t.Fatalf("a healthy run produced findings: %+v", fs)
	}
}

// sawtooth rises from floor to floor+amp over period seconds, then drops back.
func sawtooth(n int, floor, amp, period float64) []Point {
	var pts []Point
	for i := 0; i < n; i++ {
		phase := float64(i%int(period)) / period
		pts = append(pts, Point{T: float64(i), V: floor + amp*phase})
	}
	return pts
}

func TestClaimsLag(t *testing.T) {
	for _, tc := range []struct {
		a    Alert
		want bool
	}{
		{Alert{Name: "WebSocketKafkaConsumerLagHigh", Query: "max by (topic, partition) (websocket_kafka_consumer_lag) > 10000"}, true},
		{Alert{Name: "KafkaConsumerLagHigh", Query: "max by (instance, topic, partition) (websocket_kafka_lag_seconds) > 600 and max by (instance, topic, partition) (websocket_kafka_lag_watermark_age_seconds) < 120"}, true},
		{Alert{Name: "KafkaLagRefreshFailing", Query: "sum by (instance) (rate(websocket_kafka_lag_poll_failures_total[5m])) > 0"}, false},
		{Alert{Name: "WebSocketMessageErrorsHigh", Query: `sum(rate(websocket_kafka_messages_total{status="error"}[5m])) > 0`}, false},
		{Alert{Name: "ConsumerLagHigh"}, true},                  // no query: the name decides
		{Alert{Name: "LagRefreshFailing", Query: "((("}, false}, // unparsable: the name decides
	} {
		if got := claimsLag(tc.a); got != tc.want {
			t.Errorf("claimsLag(%s: %q) = %t, want %t", tc.a.Name, tc.a.Query, got, tc.want)
		}
	}
}

// In rebalance a pending lag alert is a warning (soak-alert-pending) unless it also fired
// (then it is soak-false-alert alone); a pending failure-counter alert is only listed, and
// under a broker fault every alert is only listed.
func TestJudgeAlerts(t *testing.T) {
	lag := Alert{T: 30, Name: "WebSocketKafkaConsumerLagHigh", State: "pending", File: "deploy/prometheus/alerts.yml",
		Labels: map[string]string{"partition": "4"}, Query: "max by (topic, partition) (websocket_kafka_consumer_lag) > 10000", ForSeconds: 120}
	refresh := Alert{T: 5, Name: "KafkaLagRefreshFailing", State: "pending", Query: "sum(rate(websocket_kafka_lag_poll_failures_total[5m])) > 0"}
	stalled := Alert{T: 10, Name: "KafkaConsumerStalled", State: "pending", Query: "max(websocket_kafka_lag_offset_age_seconds) > 300"}
	stalledFiring := stalled
	stalledFiring.State, stalledFiring.T = "firing", 20
	r := &run{res: &Result{Alerts: []Alert{lag, refresh, stalled, stalledFiring}}}
	paging, pending := r.judgeAlerts(ScenarioRebalance)
	if len(paging) != 1 || paging[0].Name != "KafkaConsumerStalled" || len(pending) != 1 || pending[0].Name != lag.Name {
		t.Fatalf("rebalance: paging %+v pending %+v; want KafkaConsumerStalled firing and %s pending", paging, pending, lag.Name)
	}
	if len(r.res.Notes) != 2 || !strings.Contains(r.res.Notes[0], "KafkaLagRefreshFailing was pending") {
		t.Fatalf("notes %q: want the refresh-failure alert and the pending state of the fired one listed", r.res.Notes)
	}
	fs := checks.FinishFindings(PendingFindings(Subject{Target: "dashstream-v7", Source: "fixtures/dashstream-v7/cmd/websocket-server"}, ScenarioRebalance, pending, []Point{{T: 1, V: 900}, {T: 2, V: 1200}, {T: 3, V: 300}}))
	if len(fs) != 1 || fs[0].Rule != "soak-alert-pending" || fs[0].Severity != checks.SeverityWarning ||
		!strings.Contains(fs[0].Message, "after its for: 120s it would page") || !strings.Contains(fs[0].Evidence, "map[partition:4]") || !strings.Contains(fs[0].Evidence, "peaked at 1200 records") {
		t.Fatalf("pending findings %+v", fs)
	}
	r = &run{res: &Result{Alerts: []Alert{lag, stalledFiring}}}
	if paging, pending := r.judgeAlerts(ScenarioSlowKafka); len(paging)+len(pending) != 0 || len(r.res.Notes) != 2 {
		t.Fatalf("slow-kafka: paging %+v pending %+v notes %q; want every alert listed as expected", paging, pending, r.res.Notes)
	}
	r = &run{res: &Result{Alerts: []Alert{lag}}}
	if _, pending := r.judgeAlerts(ScenarioThroughput); len(pending) != 0 {
		t.Fatalf("throughput: pending %+v; the overloaded member really lags there, pending is not judged", pending)
	}
}

func TestSecurityEnv(t *testing.T) {
	env := map[string]string{"KAFKA_SECURITY_PROTOCOL": "sasl_ssl", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD_FILE": "/run/pw",
		"KAFKA_SSL_CA_LOCATION": "/etc/ca.pem", "KAFKA_TOPIC": "other", "KAFKA_SSL_KEY_LOCATION": ""}
	got, files := securityEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if len(got) != 4 || got["KAFKA_TOPIC"] != "" || got["KAFKA_SASL_USERNAME"] != "u" {
		t.Fatalf("securityEnv = %v; want the four set security variables only", got)
	}
	if strings.Join(files, ",") != "/etc/ca.pem,/run/pw" {
		t.Fatalf("files %v; want the CA and the password file", files)
	}
}
