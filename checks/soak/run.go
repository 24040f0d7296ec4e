package soak

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

// Scenario names.
const (
	ScenarioThroughput = "throughput"
	ScenarioSlowKafka  = "slow-kafka"
	ScenarioRebalance  = "rebalance"
)

// ScenarioNames lists the default scenarios in run order (the short soak of make test).
func ScenarioNames() []string {
	return []string{ScenarioThroughput, ScenarioSlowKafka, ScenarioRebalance}
}

// AllScenarios lists every scenario -scenario accepts.
func AllScenarios() []string {
	return append(ScenarioNames(), ScenarioDLQOutage, ScenarioBrokerRestart)
}

// accounting reports whether a scenario accounts for every produced record (the loss
// check): it needs a target that commits after processing and a broker that keeps every
// record until the read-back.
func accounting(scenario string) bool {
	return scenario == ScenarioDLQOutage || scenario == ScenarioBrokerRestart
}

// Options configure a soak run; Defaults fills the zero fields.
type Options struct {
	Root          string        // repository root (images are built from it)
	OutDir        string        // figures, plots and reports go here
	Targets       []string      // streamsvc, dashstream-v7
	Scenarios     []string      // see ScenarioNames
	Duration      time.Duration // per scenario (SOAK_DURATION); default 45s
	Brokers       string        // external cluster (SOAK_BROKERS) instead of the test broker
	Topic         string        // default dashstream-quality
	Partitions    int           // default 6
	Rate          int           // produced records per second; default 20000
	RecordSize    int           // bytes; default 256
	MemoryLimit   int64         // per member container; default 256 MiB
	Limits        MemoryLimits  // zero fields take defaults derived from MemoryLimit and Duration
	LagRefresh    time.Duration // one lag refresh: ownership is checked this long after a rebalance settles; default 10s
	SlowDelay     time.Duration // ListOffsets/Metadata delay in slow-kafka; default 3s
	PrometheusBin string        // default prometheus from PATH
	Log           io.Writer     // progress; default io.Discard
}

// Defaults returns o with every zero field set.
func (o Options) Defaults() Options {
	if o.Root == "" {
		o.Root = "."
	}
	if o.OutDir == "" {
		o.OutDir = "reports/latest/soak"
	}
	if len(o.Targets) == 0 {
		o.Targets = TargetNames()
	}
	if len(o.Scenarios) == 0 {
		o.Scenarios = ScenarioNames()
	}
	if o.Duration <= 0 {
		o.Duration = 45 * time.Second
	}
	if o.Topic == "" {
		o.Topic = "dashstream-quality"
	}
	if o.Partitions <= 0 {
		o.Partitions = 6
	}
	if o.Rate <= 0 {
		o.Rate = 20000
	}
	if o.RecordSize <= 0 {
		o.RecordSize = 256
	}
	if o.MemoryLimit <= 0 {
		o.MemoryLimit = defaultMemory
	}
	if o.LagRefresh <= 0 {
		o.LagRefresh = 10 * time.Second
	}
	if o.SlowDelay <= 0 {
		o.SlowDelay = 3 * time.Second
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	l := &o.Limits
	if l.PeakBytes == 0 {
		l.PeakBytes = float64(o.MemoryLimit) * 0.75
	}
	if l.SlopeBytesPerSecond == 0 {
		l.SlopeBytesPerSecond = 64 << 10
	}
	if l.MinGrowthBytes == 0 {
		l.MinGrowthBytes = 8 << 20
	}
	if l.WarmupSeconds == 0 {
		l.WarmupSeconds = min(120, o.Duration.Seconds()/3)
	}
	if l.WindowSeconds == 0 {
		l.WindowSeconds = 5
	}
	return o
}

// Result is one scenario run against one target: what was measured and judged.
type Result struct {
	Target          string           `json:"target"`
	Scenario        string           `json:"scenario"`
	Started         time.Time        `json:"started"`
	DurationSeconds float64          `json:"duration_seconds"`
	Load            Load             `json:"load"`
	Limits          MemoryLimits     `json:"limits"`
	Memory          []Line           `json:"memory"`
	MemoryVerdicts  []MemoryVerdict  `json:"memory_verdicts"`
	Lag             []Line           `json:"lag,omitempty"`
	Markers         []Marker         `json:"markers,omitempty"`
	Ownership       []OwnershipCheck `json:"ownership,omitempty"`
	Alerts          []Alert          `json:"alerts,omitempty"`
	AlertRules      int              `json:"alert_rules"`
	Consumed        float64          `json:"consumed"`
	Loss            *Loss            `json:"loss,omitempty"`
	Restarts        []Restart        `json:"restarts,omitempty"`
	// Broker says what the scenario ran against: the harness's test broker container or
	// the external cluster of SOAK_BROKERS (with the topics the harness created there).
	Broker string `json:"broker"`
	// GroupLag (rebalance) is the group's highest per-partition lag as the coordinator sees
	// it (end offset - committed offset), sampled every second: what the members' lag
	// gauges should say, give or take one commit interval.
	GroupLag []Point `json:"group_lag,omitempty"`
	// Progress is the records consumed by all members so far, sampled every second.
	Progress []Point          `json:"progress,omitempty"`
	Notes    []string         `json:"notes,omitempty"`
	Plots    []string         `json:"plots,omitempty"`
	Findings []checks.Finding `json:"findings"`
	Error    string           `json:"error,omitempty"`
}

// Load describes the synthetic load of a scenario.
type Load struct {
	Requested  int64   `json:"requested"`
	Rate       int     `json:"rate"`
	RecordSize int     `json:"record_size"`
	ExitCode   int     `json:"exit_code"`
	Seconds    float64 `json:"seconds"`
}

// Runner runs scenarios in one environment.
type Runner struct {
	o     Options
	env   *Env
	proms map[string]*Prometheus
	http  *http.Client
	runN  int
}

// NewRunner builds images, creates the network and starts Prometheus.
func NewRunner(ctx context.Context, o Options) (*Runner, error) {
	o = o.Defaults()
	env, err := NewEnv(ctx, o.Root, o.Log, o.Targets, o.Brokers)
	if err != nil {
		return nil, err
	}
	return &Runner{o: o, env: env, proms: map[string]*Prometheus{}, http: &http.Client{Timeout: 3 * time.Second}}, nil
}

// promFor starts (once) the Prometheus server of a target, loaded with the target's own
// rule files: what would page for that deployment.
func (r *Runner) promFor(ctx context.Context, t Target) (*Prometheus, error) {
	if p := r.proms[t.Name]; p != nil {
		return p, nil
	}
	rules, err := RuleFiles(filepath.Join(r.o.Root, t.RulesDir))
	if err != nil {
		return nil, err
	}
	p, err := StartPrometheus(ctx, r.o.PrometheusBin, "", rules, r.o.Log)
	if err != nil {
		return nil, err
	}
	r.proms[t.Name] = p
	return p, nil
}

// Close stops Prometheus and removes the environment.
func (r *Runner) Close(ctx context.Context) {
	for _, p := range r.proms {
		p.Stop()
	}
	r.env.Close(ctx)
}

// run is the state of one scenario.
type run struct {
	*Runner
	prom    *Prometheus
	t       Target
	res     *Result
	start   time.Time
	group   string
	dlq     string
	topic   string
	mu      sync.Mutex
	members []*Member
	oom     map[string]bool
	dead    map[string]bool
	mem     map[string]*Line
	lag     map[string]*Line
	alerts  map[string]bool
	// instances are the scrape addresses of the members this scenario started: the
	// Prometheus server is shared by a target's scenarios, and an alert still pending for
	// a member of an earlier scenario (rate over a window that outlives the member) is
	// not this scenario's.
	instances map[string]bool
	// groupLag is the coordinator's view in rebalance: the highest per-partition lag
	// (end offset - committed offset) of the group, sampled every second.
	groupLag []Point
}

func (r *run) now() float64 { return time.Since(r.start).Seconds() }

func (r *run) logf(format string, args ...any) {
	fmt.Fprintf(r.o.Log, "soak: %s/%s t=%3.0fs: %s\n", r.t.Name, r.res.Scenario, r.now(), fmt.Sprintf(format, args...))
}

// Run runs one scenario against one target. Errors that stop the scenario are returned
// and also recorded in the result.
func (r *Runner) Run(ctx context.Context, target, scenario string) (*Result, error) {
	t, err := LookupTarget(target)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(AllScenarios(), scenario) {
		return nil, fmt.Errorf("scenario %q: want one of %v", scenario, AllScenarios())
	}
	r.runN++
	ru := &run{Runner: r, t: t, start: time.Now(),
		res: &Result{Target: target, Scenario: scenario, Started: time.Now().UTC(), Limits: r.o.Limits, Findings: []checks.Finding{},
			Broker: "test broker container"},
		group: fmt.Sprintf("soak-%s-%d", target, r.runN), topic: r.o.Topic, dlq: r.o.Topic + "-dlq",
		oom: map[string]bool{}, dead: map[string]bool{}, mem: map[string]*Line{}, lag: map[string]*Line{}, alerts: map[string]bool{}, instances: map[string]bool{},
	}
	if ru.prom, err = r.promFor(ctx, t); err == nil {
		err = ru.do(ctx, scenario)
	}
	ru.res.DurationSeconds = ru.now()
	if err != nil {
		ru.res.Error = err.Error()
	}
	return ru.res, err
}

func (r *run) do(ctx context.Context, scenario string) error {
	if scenario == ScenarioSlowKafka && r.env.external {
		r.res.Notes = append(r.res.Notes, "slow-kafka needs the test broker's control API; skipped with an external cluster")
		return nil
	}
	if r.env.external && (scenario == ScenarioBrokerRestart || scenario == ScenarioDLQOutage) {
		r.res.Notes = append(r.res.Notes, scenario+" needs the test broker (a restartable container, the fault control API); skipped with an external cluster")
		return nil
	}
	if accounting(scenario) && !r.t.Accountable {
		r.res.Notes = append(r.res.Notes, scenario+" relies on a commit-after-processing contract and the loadgen envelope; "+r.t.Name+" does not follow it: skipped")
		return nil
	}
	if err := r.env.StartBroker(ctx, BrokerSpec{Topic: r.topic, Partitions: r.o.Partitions, DLQTopic: r.dlq, Memory: 768 << 20, Persist: accounting(scenario)}); err != nil {
		return err
	}
	defer func() {
		if !r.env.external && r.env.broker != nil {
			r.env.StopBroker()
		}
	}()
	adm, cl, err := r.admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	if r.env.external {
		if err := r.externalTopics(ctx, adm); err != nil {
			return err
		}
		defer r.deleteExternalTopics(adm)
	}
	if n, err := r.prom.RuleCount(ctx); err == nil {
		r.res.AlertRules = n
		if n == 0 {
			r.res.Notes = append(r.res.Notes, "Prometheus loaded no alerting rules from "+r.t.RulesDir+": the false-alert check is vacuous")
		}
	}

	m1, err := r.addMember(ctx, "m1")
	if err != nil {
		return err
	}
	defer r.stopAll(ctx)

	rate, invalid := r.o.Rate, "0"
	switch scenario {
	case ScenarioRebalance:
		// A rate the consumers keep up with: any lag alert is then a false page.
		rate = max(1, r.o.Rate/5)
	case ScenarioDLQOutage, ScenarioBrokerRestart:
		// A rate one member keeps up with, 5 % of it invalid (for the DLQ).
		rate, invalid = max(1, r.o.Rate/10), "0.05"
	}
	sctx, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.sample(sctx) }()
	if scenario == ScenarioRebalance {
		wg.Add(1)
		go func() { defer wg.Done(); r.sampleGroupLag(sctx, adm) }()
	}

	count := int64(rate) * int64(r.o.Duration.Seconds())
	r.res.Load = Load{Requested: count, Rate: rate, RecordSize: r.o.RecordSize}
	loadDone := make(chan error, 1)
	go func() {
		t0 := time.Now()
		code, logs, err := r.env.RunOnce(ctx, r.env.Image("loadgen"), "load", []string{"produce",
			"--count", strconv.FormatInt(count, 10), "--rate", strconv.Itoa(rate),
			"--size", strconv.Itoa(r.o.RecordSize), "--invalid-ratio", invalid},
			map[string]string{"KAFKA_BROKERS": r.env.Brokers, "KAFKA_TOPIC": r.topic})
		r.res.Load.ExitCode, r.res.Load.Seconds = code, time.Since(t0).Seconds()
		if err == nil && code != 0 {
			err = fmt.Errorf("streamsvc produce exited %d: %s", code, logs)
		}
		loadDone <- err
	}()

	var scenErr, loadErr error
	var loss *Loss
	switch scenario {
	case ScenarioThroughput:
		scenErr = r.hold(ctx, r.o.Duration)
	case ScenarioSlowKafka:
		scenErr = r.slowKafka(ctx)
	case ScenarioRebalance:
		scenErr = r.rebalance(ctx, adm, m1)
	case ScenarioDLQOutage:
		loss, scenErr = r.dlqOutage(ctx, adm, loadDone)
		r.res.Loss = loss
	case ScenarioBrokerRestart:
		loss, scenErr = r.brokerRestart(ctx, adm, m1, loadDone)
		r.res.Loss = loss
	}
	if !accounting(scenario) {
		select {
		case loadErr = <-loadDone:
		case <-time.After(5 * time.Second):
			r.res.Notes = append(r.res.Notes, "the load generator was still producing when the scenario ended")
		}
	}
	stopSampling()
	wg.Wait()
	r.judge(ctx, scenario, loss)
	return errors.Join(scenErr, loadErr)
}

func (r *run) admin() (*kadm.Client, *kgo.Client, error) {
	cfg, err := kafkaconf.FromMap(r.env.ClientEnv())
	if err != nil {
		return nil, nil, err
	}
	cl, err := kafkaconf.NewClient(cfg, kgo.Dialer(r.env.Dial))
	if err != nil {
		return nil, nil, err
	}
	return kadm.NewClient(cl), cl, nil
}

func (r *run) addMember(ctx context.Context, name string) (*Member, error) {
	m, err := r.env.StartMember(ctx, r.t, name, r.topic, r.dlq, r.group, r.o.MemoryLimit)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.members = append(r.members, m)
	r.instances[m.HostPort] = true
	ts := r.promTargets()
	r.mu.Unlock()
	r.logf("member %s up (%s)", name, m.IP)
	return m, r.prom.SetTargets(ts)
}

func (r *run) removeMember(ctx context.Context, m *Member) error {
	m.stopping.Store(true)
	r.mu.Lock()
	r.members = slices.DeleteFunc(r.members, func(x *Member) bool { return x == m })
	ts := r.promTargets()
	r.mu.Unlock()
	if err := r.prom.SetTargets(ts); err != nil {
		return err
	}
	r.logf("member %s leaves", m.Name)
	return m.Stop(ctx)
}

func (r *run) promTargets() []PromTarget {
	var ts []PromTarget
	for _, m := range r.members {
		ts = append(ts, PromTarget{Addr: m.HostPort, Member: m.Name, Target: r.t.Name})
	}
	return ts
}

func (r *run) stopAll(ctx context.Context) {
	r.mu.Lock()
	ms := r.members
	r.members = nil
	r.mu.Unlock()
	r.prom.SetTargets(nil)
	for _, m := range ms {
		m.Stop(ctx)
	}
}

func (r *run) hold(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// sample records every second, for every live member: container RSS, Go heap in use,
// every lag series, the consumed count; and every pending or firing lag alert.
func (r *run) sample(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		t := r.now()
		r.mu.Lock()
		ms := slices.Clone(r.members)
		r.mu.Unlock()
		var consumed float64
		complete := true // every running member answered its scrape
		for _, m := range ms {
			if m.stopping.Load() {
				continue
			}
			if running, oom, err := m.State(ctx); err == nil && !running {
				if !r.dead[m.Name] {
					r.dead[m.Name] = true
					r.oom[m.Name] = oom
					what := "exited"
					if oom {
						what = "OOM-killed"
					}
					r.mark(m.Name + " " + what)
					r.res.Notes = append(r.res.Notes, fmt.Sprintf("member %s %s at t=%.0fs: %s", m.Name, what, t, tail(m.Logs(ctx), 300)))
				}
				continue
			}
			if rss, err := r.env.Memory(ctx, m); err == nil {
				r.point(r.mem, m.Name+" rss", t, rss)
			}
			s, err := Scrape(ctx, r.http, m.MetricsURL)
			if err != nil {
				complete = false
				continue
			}
			if v, ok := s.Value("go_memstats_heap_inuse_bytes", nil); ok {
				r.point(r.mem, m.Name+" heap_inuse", t, v)
			}
			consumed += s.Sum("websocket_kafka_messages_total", nil)
			for _, x := range s.Named("websocket_kafka_consumer_lag") {
				r.point(r.lag, m.Name+" p"+x.Labels["partition"], t, x.Value)
			}
		}
		r.res.Consumed = max(r.res.Consumed, consumed)
		if complete {
			r.mu.Lock()
			r.res.Progress = append(r.res.Progress, Point{T: t, V: consumed})
			r.mu.Unlock()
		}
		if as, err := r.prom.ActiveAlerts(ctx); err == nil {
			for _, a := range as {
				if !isLagAlert(a) {
					continue
				}
				key := a.Rule + a.State + fmt.Sprint(a.Labels)
				if r.alerts[key] {
					continue
				}
				r.alerts[key] = true
				r.mu.Lock()
				inst, hasInst := a.Labels["instance"]
				earlier := hasInst && !r.instances[inst]
				r.mu.Unlock()
				if earlier {
					r.res.Notes = append(r.res.Notes, fmt.Sprintf("%s %s for %s at t=%.0fs ignored: that instance belongs to an earlier scenario (one Prometheus serves all of a target's scenarios)", a.Rule, a.State, inst, t))
					continue
				}
				r.res.Alerts = append(r.res.Alerts, Alert{T: t, Name: a.Rule, State: a.State, File: relPath(r.o.Root, a.File), Labels: a.Labels, Query: a.Query, ForSeconds: a.For})
			}
		}
	}
}

// sampleGroupLag records, every second, the group's highest per-partition lag on the
// soak topic from the coordinator (end offset minus committed offset).
func (r *run) sampleGroupLag(ctx context.Context, adm *kadm.Client) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		lags, err := adm.Lag(lctx, r.group)
		cancel()
		if err != nil {
			continue
		}
		top, seen := int64(0), false
		lags.Each(func(l kadm.DescribedGroupLag) {
			for _, ps := range l.Lag[r.topic] {
				if ps.Err == nil {
					top, seen = max(top, ps.Lag), true
				}
			}
		})
		if seen {
			r.mu.Lock()
			r.groupLag = append(r.groupLag, Point{T: r.now(), V: float64(top)})
			r.mu.Unlock()
		}
	}
}

// isLagAlert: an alert from a lag rule file or named for lag.
func isLagAlert(a RuleAlert) bool {
	f := strings.ToLower(a.File[strings.LastIndex(a.File, "/")+1:])
	return strings.Contains(f, "lag") || strings.Contains(strings.ToLower(a.Rule), "lag")
}

func relPath(root, p string) string {
	if abs, err := filepath.Abs(root); err == nil {
		if rel, err := filepath.Rel(abs, p); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	return p
}

func (r *run) point(m map[string]*Line, name string, t, v float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := m[name]
	if l == nil {
		l = &Line{Name: name}
		m[name] = l
	}
	l.Points = append(l.Points, Point{T: t, V: v})
}

func (r *run) mark(label string) {
	r.mu.Lock()
	r.res.Markers = append(r.res.Markers, Marker{T: r.now(), Label: label})
	r.mu.Unlock()
}

// slowKafka delays ListOffsets and Metadata by SlowDelay for the middle of the scenario.
func (r *run) slowKafka(ctx context.Context) error {
	third := r.o.Duration / 3
	if err := r.hold(ctx, third); err != nil {
		return err
	}
	ms := strconv.Itoa(int(r.o.SlowDelay.Milliseconds()))
	for _, key := range []string{"ListOffsets", "Metadata"} {
		if err := r.control(ctx, http.MethodPost, "/faults/delay?key="+key+"&ms="+ms); err != nil {
			return err
		}
	}
	r.mark("slow " + r.o.SlowDelay.String())
	r.logf("ListOffsets and Metadata delayed by %s", r.o.SlowDelay)
	if err := r.hold(ctx, r.o.Duration-third); err != nil {
		return err
	}
	r.mark("faults cleared")
	return r.control(ctx, http.MethodDelete, "/faults")
}

func (r *run) control(ctx context.Context, method, path string) error {
	req, err := http.NewRequestWithContext(ctx, method, r.env.ControlURL()+path, nil)
	if err != nil {
		return err
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return fmt.Errorf("broker control %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("broker control %s %s: %s: %s", method, path, resp.Status, b)
	}
	return nil
}

// rebalance lets a second member join and leave repeatedly; after each change, once the
// group is stable and one lag refresh has passed, every member's lag series are compared
// with the partitions the coordinator assigned it.
func (r *run) rebalance(ctx context.Context, adm *kadm.Client, m1 *Member) error {
	deadline := time.Now().Add(r.o.Duration)
	if err := r.checkOwnership(ctx, adm, "start"); err != nil {
		return err
	}
	for i := 1; time.Now().Before(deadline); i++ {
		name := "m2"
		m2, err := r.addMember(ctx, name)
		if err != nil {
			return err
		}
		r.mark(fmt.Sprintf("%s joins", name))
		joined := time.Now()
		if err := r.checkOwnership(ctx, adm, fmt.Sprintf("join #%d", i)); err != nil {
			return err
		}
		// Keep the moved partitions moved for half the scenario, at most 3 minutes: a lag
		// series left behind by the old owner has time to drift and to outlast a 2-minute
		// `for:`, and a long soak still joins and leaves several times.
		if err := r.hold(ctx, time.Until(joined.Add(min(r.o.Duration/2, 3*time.Minute)))); err != nil {
			return err
		}
		if err := r.removeMember(ctx, m2); err != nil {
			return err
		}
		r.mark(fmt.Sprintf("%s leaves", name))
		if err := r.checkOwnership(ctx, adm, fmt.Sprintf("leave #%d", i)); err != nil {
			return err
		}
	}
	return nil
}

// checkOwnership waits for a stable group whose members are exactly the running ones,
// waits one lag refresh, and compares exported lag series with the assignment.
func (r *run) checkOwnership(ctx context.Context, adm *kadm.Client, event string) error {
	assign, err := r.stableAssignment(ctx, adm, 60*time.Second)
	if err != nil {
		return fmt.Errorf("after %s: %w", event, err)
	}
	if err := r.hold(ctx, r.o.LagRefresh); err != nil {
		return err
	}
	// The assignment must still be the same one, or the check compares with a stale truth.
	again, err := r.stableAssignment(ctx, adm, 60*time.Second)
	if err != nil {
		return fmt.Errorf("after %s: %w", event, err)
	}
	r.mu.Lock()
	ms := slices.Clone(r.members)
	r.mu.Unlock()
	for _, m := range ms {
		s, err := Scrape(ctx, r.http, m.MetricsURL)
		if err != nil {
			return fmt.Errorf("after %s: scrape %s: %w", event, m.Name, err)
		}
		var exported []int32
		for _, x := range s.Named("websocket_kafka_consumer_lag") {
			if t := x.Labels["topic"]; t != "" && t != r.topic {
				continue
			}
			p, err := strconv.Atoi(x.Labels["partition"])
			if err != nil {
				return fmt.Errorf("%s exports websocket_kafka_consumer_lag with partition=%q", m.Name, x.Labels["partition"])
			}
			exported = append(exported, int32(p))
		}
		slices.Sort(exported)
		owned := again[m.IP]
		if !slices.Equal(owned, assign[m.IP]) {
			r.res.Notes = append(r.res.Notes, fmt.Sprintf("after %s the assignment of %s changed during the refresh wait: %v -> %v", event, m.Name, assign[m.IP], owned))
		}
		c := CheckOwnership(OwnershipCheck{T: r.now(), Event: event, Member: m.Name, Owned: owned, Exported: exported})
		r.res.Ownership = append(r.res.Ownership, c)
		r.logf("after %s: %s owns %v, exports lag for %v", event, m.Name, c.Owned, c.Exported)
	}
	return nil
}

// stableAssignment polls the coordinator until the group is Stable with one member per
// running container, and returns each member's partitions keyed by container IP.
func (r *run) stableAssignment(ctx context.Context, adm *kadm.Client, timeout time.Duration) (map[string][]int32, error) {
	deadline := time.Now().Add(timeout)
	last := "no answer"
	for {
		r.mu.Lock()
		ips := map[string]bool{}
		for _, m := range r.members {
			ips[m.IP] = true
		}
		r.mu.Unlock()
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		gs, err := adm.DescribeGroups(dctx, r.group)
		cancel()
		if err == nil {
			if g, ok := gs[r.group]; ok && g.Err == nil {
				out := map[string][]int32{}
				for _, gm := range g.Members {
					host := strings.TrimPrefix(gm.ClientHost, "/")
					if h, _, err := net.SplitHostPort(host); err == nil {
						host = h
					}
					var ps []int32
					if c, ok := gm.Assigned.AsConsumer(); ok {
						for _, t := range c.Topics {
							if t.Topic == r.topic {
								ps = append(ps, t.Partitions...)
							}
						}
					}
					slices.Sort(ps)
					out[host] = append(out[host], ps...)
				}
				ok := g.State == "Stable" && len(out) == len(ips) && len(g.Members) == len(ips)
				for ip := range ips {
					if _, has := out[ip]; !has {
						ok = false
					}
				}
				if ok {
					return out, nil
				}
				last = fmt.Sprintf("state %s, %d members for %d containers", g.State, len(g.Members), len(ips))
			} else if ok {
				last = g.Err.Error()
			}
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("group %s not stable after %s: %s", r.group, timeout, last)
		}
		if err := r.hold(ctx, 500*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// judge turns the samples into verdicts, findings and plots.
func (r *run) judge(ctx context.Context, scenario string, loss *Loss) {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.mem))
	for n := range r.mem {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		l := r.mem[n]
		r.res.Memory = append(r.res.Memory, *l)
		member, metric, _ := strings.Cut(n, " ")
		// Members that join and leave (rebalance) are judged only when they ran through
		// warm-up; the first member runs the whole scenario.
		if member != "m1" {
			continue
		}
		r.res.MemoryVerdicts = append(r.res.MemoryVerdicts, JudgeMemory(member, metric, l.Points, r.oom[member], r.o.Limits))
	}
	lnames := make([]string, 0, len(r.lag))
	for n := range r.lag {
		lnames = append(lnames, n)
	}
	sort.Strings(lnames)
	for _, n := range lnames {
		r.res.Lag = append(r.res.Lag, *r.lag[n])
	}
	if len(r.groupLag) > 0 {
		r.res.GroupLag = r.groupLag
		r.res.Lag = append(r.res.Lag, Line{Name: "group max (coordinator)", Points: r.groupLag})
	}
	sub := Subject{Target: r.t.Name, Source: r.t.Source}
	paging, pending := r.judgeAlerts(scenario)
	fs := Findings(sub, scenario, r.res.MemoryVerdicts, r.res.Ownership, paging, loss)
	r.res.Findings = checks.FinishFindings(append(fs, PendingFindings(sub, scenario, pending, r.res.GroupLag)...))
}

// judgeAlerts sorts the lag alerts seen during a scenario. A lag alert pages falsely when
// it fires while the consumers keep up. Under a broker fault (slow-kafka, broker-restart)
// the consumers do fall behind, so alerts there are expected and only listed. In rebalance,
// which produces at a rate both members keep up with, a pending alert whose query reads a
// lag gauge is a false page in the making (its `for:` is all that keeps it from paging);
// other pending alerts are listed.
func (r *run) judgeAlerts(scenario string) (paging, pending []Alert) {
	fired := map[string]bool{}
	for _, a := range r.res.Alerts {
		if a.State == "firing" {
			fired[a.Name] = true
		}
	}
	for _, a := range r.res.Alerts {
		switch {
		case scenario == ScenarioSlowKafka || scenario == ScenarioBrokerRestart:
			r.res.Notes = append(r.res.Notes, fmt.Sprintf("expected under a broker fault: %s %s at t=%.0fs", a.Name, a.State, a.T))
		case a.State == "firing":
			paging = append(paging, a)
		case scenario == ScenarioRebalance && !fired[a.Name] && claimsLag(a):
			pending = append(pending, a)
		default:
			r.res.Notes = append(r.res.Notes, fmt.Sprintf("%s was %s at t=%.0fs (not firing: its `for` had not elapsed)", a.Name, a.State, a.T))
		}
	}
	return paging, pending
}
