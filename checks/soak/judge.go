package soak

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/checks/rules"
)

// MemoryLimits are the stated thresholds of the memory assertion.
type MemoryLimits struct {
	// PeakBytes bounds the peak of every sampled memory series.
	PeakBytes float64 `json:"peak_bytes"`
	// SlopeBytesPerSecond bounds the least-squares slope of the per-window memory floor
	// after warm-up.
	SlopeBytesPerSecond float64 `json:"slope_bytes_per_second"`
	// MinGrowthBytes: a slope over the threshold counts only when the fitted growth over
	// the measured span exceeds this (short runs are noisy).
	MinGrowthBytes float64 `json:"min_growth_bytes"`
	// WarmupSeconds are ignored by the trend fit.
	WarmupSeconds float64 `json:"warmup_seconds"`
	// WindowSeconds is the least width of the windows whose minimum is fitted (they are a
	// quarter of the measured span, at most a minute, when that is wider).
	WindowSeconds float64 `json:"window_seconds"`
}

// MemoryVerdict is the memory assertion for one member and one memory series.
type MemoryVerdict struct {
	Member      string  `json:"member"`
	Metric      string  `json:"metric"` // rss (container stats) or heap_inuse (/metrics)
	PeakBytes   float64 `json:"peak_bytes"`
	Fit         Fit     `json:"fit"`
	GrowthBytes float64 `json:"growth_bytes"`
	// CeilingStart is the peak of the first third after warm-up, FloorEnd the minimum of
	// the last third.
	CeilingStart float64 `json:"ceiling_start_bytes"`
	FloorEnd     float64 `json:"floor_end_bytes"`
	OOMKilled    bool    `json:"oom_killed,omitempty"`
	Samples      int     `json:"samples"`
	Bounded      bool    `json:"bounded"`
	// Judged is false when the series was too short to tell (not bounded, low confidence).
	Judged bool   `json:"judged"`
	Reason string `json:"reason"`
}

// JudgeMemory applies lim to one series of one member.
func JudgeMemory(member, metric string, pts []Point, oomKilled bool, lim MemoryLimits) MemoryVerdict {
	v := MemoryVerdict{Member: member, Metric: metric, PeakBytes: Peak(pts), OOMKilled: oomKilled, Samples: len(pts)}
	after := After(pts, lim.WarmupSeconds)
	w := lim.WindowSeconds
	if len(after) > 1 {
		// Windows wide enough to hold a whole GC cycle: a quarter of the measured span, at
		// most a minute (long runs keep more points for the fit).
		w = max(w, min((after[len(after)-1].T-after[0].T)/4, 60))
	}
	post := WindowMin(after, w)
	v.Fit = LeastSquares(post)
	if len(post) >= 2 {
		v.GrowthBytes = v.Fit.Slope * (post[len(post)-1].T - post[0].T)
	}
	var why []string
	if oomKilled {
		why = append(why, "the container was OOM-killed")
	}
	if lim.PeakBytes > 0 && v.PeakBytes > lim.PeakBytes {
		why = append(why, fmt.Sprintf("peak %s over the bound %s", mib(v.PeakBytes), mib(lim.PeakBytes)))
	}
	// Sustained growth: the fitted floor rises faster than the threshold, by more than
	// MinGrowthBytes, and the lowest value of the last third of the measured span is above
	// the highest of the first third. A bounded GC or fetch-buffer sawtooth comes back below
	// its earlier peaks; a queue that grows per message does not.
	if n := len(after); n >= 3 {
		v.CeilingStart = Peak(after[:n/3])
		v.FloorEnd = Peak(after[n-n/3:])
		for _, p := range after[n-n/3:] {
			v.FloorEnd = min(v.FloorEnd, p.V)
		}
	}
	if v.Fit.Slope > lim.SlopeBytesPerSecond && v.GrowthBytes > lim.MinGrowthBytes && v.FloorEnd > v.CeilingStart {
		why = append(why, fmt.Sprintf("grows %s/s after warm-up (threshold %s/s), %s over %d windows; the last third never fell below %s, the first third's peak",
			kib(v.Fit.Slope), kib(lim.SlopeBytesPerSecond), mib(v.GrowthBytes), len(post), mib(v.CeilingStart)))
	}
	v.Judged = true
	if len(post) < 3 && len(why) == 0 {
		// Not enough data to show the memory is bounded: that is not a pass.
		v.Judged = false
		why = append(why, fmt.Sprintf("only %d post-warm-up windows: too few to judge the trend (run longer)", len(post)))
	}
	v.Bounded = len(why) == 0
	if v.Bounded {
		v.Reason = fmt.Sprintf("peak %s, slope %s/s after warm-up", mib(v.PeakBytes), kib(v.Fit.Slope))
	} else {
		v.Reason = strings.Join(why, "; ")
	}
	return v
}

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }
func kib(b float64) string { return fmt.Sprintf("%.1f KiB", b/(1<<10)) }

// OwnershipCheck compares, at one moment, the partitions a member owns (from the group
// coordinator) with the partitions it exports a lag series for.
type OwnershipCheck struct {
	T        float64 `json:"t"`
	Event    string  `json:"event"`
	Member   string  `json:"member"`
	Owned    []int32 `json:"owned"`
	Exported []int32 `json:"exported"`
	Stale    []int32 `json:"stale,omitempty"`
}

// CheckOwnership fills Stale: exported partitions the member does not own.
func CheckOwnership(c OwnershipCheck) OwnershipCheck {
	c.Stale = nil
	for _, p := range c.Exported {
		if !slices.Contains(c.Owned, p) {
			c.Stale = append(c.Stale, p)
		}
	}
	return c
}

// Alert is a Prometheus alert seen pending or firing during a scenario.
type Alert struct {
	T      float64           `json:"t"`
	Name   string            `json:"name"`
	State  string            `json:"state"`
	File   string            `json:"file"`
	Labels map[string]string `json:"labels,omitempty"`
	// Query is the rule's expression and ForSeconds its `for:` duration.
	Query      string  `json:"query,omitempty"`
	ForSeconds float64 `json:"for_seconds,omitempty"`
}

// claimsLag reports whether an alert says that something lags: its query reads a lag
// gauge (a metric named for lag that is not a counter, e.g. websocket_kafka_consumer_lag or
// websocket_kafka_lag_seconds). An alert over a failure counter (..._total) reports
// something that did happen, not lag. Without a parsable query, the alert's name decides.
func claimsLag(a Alert) bool {
	e, err := rules.ParseExpr(a.Query)
	if a.Query == "" || err != nil {
		n := strings.ToLower(a.Name)
		return strings.Contains(n, "lag") && !strings.Contains(n, "fail") && !strings.Contains(n, "error")
	}
	for _, s := range rules.Selectors(e) {
		if n := strings.ToLower(s.Name); strings.Contains(n, "lag") && !strings.HasSuffix(n, "_total") {
			return true
		}
	}
	return false
}

// PendingFindings turns lag alerts that went pending in a healthy rebalance into
// soak-alert-pending warnings, one per alert name. groupLag, the coordinator's highest
// per-partition lag over the run, goes into the evidence when sampled.
func PendingFindings(sub Subject, scenario string, pending []Alert, groupLag []Point) []checks.Finding {
	truth := ""
	if len(groupLag) > 0 {
		truth = fmt.Sprintf("; meanwhile the group's lag per partition (coordinator: end offset - committed) peaked at %.0f records", Peak(groupLag))
	}
	byName := map[string][]Alert{}
	for _, a := range pending {
		byName[a.Name] = append(byName[a.Name], a)
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	var fs []checks.Finding
	for _, n := range names {
		as := byName[n]
		var series []string
		for _, a := range as {
			series = append(series, fmt.Sprintf("t=%.0fs %v", a.T, a.Labels))
		}
		fs = append(fs, checks.Finding{Rule: "soak-alert-pending", File: sub.Source, Key: sub.Target + "/" + scenario + "/pending/" + n,
			Message: fmt.Sprintf("%s, scenario %s: lag alert %s (%s) went pending for %d series while both members kept up; after its for: %.0fs it would page",
				sub.Target, scenario, n, as[0].File, len(as), as[0].ForSeconds),
			Evidence: strings.Join(firstN(series, 4), "; ") + truth + "; expr: " + as[0].Query,
			Fix:      "delete the lag series of revoked or lost partitions in the rebalance callbacks; alert on lag the member owns and has refreshed"})
	}
	return fs
}

// Loss is the data-loss accounting of one scenario.
type Loss struct {
	Produced   int64 `json:"produced"`
	Processed  int64 `json:"processed"`
	DLQ        int64 `json:"dlq"`
	Duplicates int64 `json:"duplicates"`
	Missing    int64 `json:"missing"`
	// Unprocessed records were never committed when the scenario ended (a stall).
	Unprocessed int64    `json:"unprocessed"`
	Examples    []string `json:"missing_examples,omitempty"`
	// AckedLost records were acknowledged to the load generator but are not in the topic
	// (the broker lost them, e.g. across a restart); examples are gaps in a thread's
	// sequence numbers.
	AckedLost         int64    `json:"acked_lost"`
	AckedLostExamples []string `json:"acked_lost_examples,omitempty"`
	// Redelivered records were consumed more than once (at-least-once after a restart or
	// rebalance): the members' consumed counters minus the distinct records handled.
	Redelivered int64 `json:"redelivered"`
}

// Subject names what a finding is about: the target's main package, relative to the root.
type Subject struct {
	Target string // streamsvc, dashstream-v7
	Source string // e.g. cmd/streamsvc
}

// Findings turns one scenario's measurements into findings.
func Findings(sub Subject, scenario string, mem []MemoryVerdict, own []OwnershipCheck, alerts []Alert, loss *Loss) []checks.Finding {
	var fs []checks.Finding
	base := func(rule, key, msg, evidence, fix string) checks.Finding {
		return checks.Finding{Rule: rule, Message: msg, File: sub.Source, Evidence: evidence, Fix: fix,
			Key: sub.Target + "/" + scenario + "/" + key}
	}
	for _, v := range mem {
		if v.Bounded {
			continue
		}
		f := base("soak-memory-unbounded", v.Metric,
			fmt.Sprintf("%s, scenario %s: %s memory of %s is not bounded: %s", sub.Target, scenario, v.Metric, v.Member, v.Reason),
			fmt.Sprintf("peak=%.0f slope=%.0fB/s growth=%.0fB samples=%d oom_killed=%t", v.PeakBytes, v.Fit.Slope, v.GrowthBytes, v.Samples, v.OOMKilled),
			"keep per-partition state (latest offset) instead of queueing per message; bound every buffer")
		if !v.Judged {
			f.Confidence = checks.ConfidenceLow
			f.Message = fmt.Sprintf("%s, scenario %s: %s memory of %s could not be shown bounded: %s", sub.Target, scenario, v.Metric, v.Member, v.Reason)
		}
		fs = append(fs, f)
	}
	var stale []OwnershipCheck
	for _, c := range own {
		if len(c.Stale) > 0 {
			stale = append(stale, c)
		}
	}
	if len(stale) > 0 {
		var ev []string
		for _, c := range stale {
			ev = append(ev, fmt.Sprintf("t=%.0fs after %s: %s owns %v, exports lag for %v", c.T, c.Event, c.Member, c.Owned, c.Exported))
		}
		fs = append(fs, base("soak-stale-gauge", "stale",
			fmt.Sprintf("%s, scenario %s: %d of %d ownership checks found lag series for partitions the member does not own (one lag refresh after the rebalance settled)",
				sub.Target, scenario, len(stale), len(own)),
			strings.Join(firstN(ev, 4), "; "),
			"delete the lag series of revoked or lost partitions in the rebalance callbacks"))
	}
	names := map[string][]Alert{}
	for _, a := range alerts {
		names[a.Name] = append(names[a.Name], a)
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		as := names[k]
		fs = append(fs, base("soak-false-alert", k,
			fmt.Sprintf("%s, scenario %s: alert %s (%s) was %s while consumers kept up", sub.Target, scenario, k, as[0].File, as[0].State),
			fmt.Sprintf("first at t=%.0fs labels=%v, seen in %d evaluations", as[0].T, as[0].Labels, len(as)),
			"alert on lag the member owns and has refreshed; ignore series older than one refresh"))
	}
	if loss != nil && loss.Missing+loss.Unprocessed > 0 {
		msg := fmt.Sprintf("%s, scenario %s: %d of %d produced records were neither processed nor in the DLQ", sub.Target, scenario, loss.Missing+loss.Unprocessed, loss.Produced)
		if loss.Unprocessed > 0 {
			msg += fmt.Sprintf(" (%d never processed: the consumer stalled)", loss.Unprocessed)
		}
		fs = append(fs, base("soak-data-loss", "loss", msg,
			fmt.Sprintf("produced=%d processed=%d dlq=%d duplicates=%d redelivered=%d lost=%d unprocessed=%d e.g. %v", loss.Produced, loss.Processed, loss.DLQ, loss.Duplicates, loss.Redelivered, loss.Missing, loss.Unprocessed, loss.Examples),
			"commit an offset only after the record was processed or durably sent to the DLQ, and resume once the DLQ is writable again"))
	}
	if loss != nil && loss.AckedLost > 0 {
		fs = append(fs, base("soak-data-loss", "acked-lost",
			fmt.Sprintf("%s, scenario %s: %d records acknowledged to the producer are not in the topic (the broker lost them)", sub.Target, scenario, loss.AckedLost),
			fmt.Sprintf("acked_lost=%d read back=%d e.g. %v", loss.AckedLost, loss.Produced, loss.AckedLostExamples),
			"a broker must keep acknowledged records across restarts: persist them (a data directory, replicas, acks=all)"))
	}
	return fs
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("... %d more", len(s)-n))
	}
	return s
}
