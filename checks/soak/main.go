package soak

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/streamaudit/streamaudit/checks"
)

// Errors Main returns; the verify CLI maps them to exit codes.
var (
	// ErrUsage: bad flags or environment (exit 2).
	ErrUsage = errors.New("usage")
	// ErrFindings: findings at or above -fail-on (exit 1).
	ErrFindings = errors.New("soak findings at or above -fail-on")
	// ErrSkipped: no Docker engine answers; nothing ran (reported, exit 0 unless the caller
	// decides otherwise).
	ErrSkipped = errors.New("soak skipped")
)

// Main runs `verify soak`: it parses args (flags, then an optional root directory),
// runs every selected scenario against every selected target and writes figures.json,
// report.json, report.md and the PNG plots into -o. SOAK_DURATION and SOAK_BROKERS are
// the defaults of -duration and -brokers.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := Options{}.Defaults()
	durDefault := def.Duration
	if v := os.Getenv("SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("%w: SOAK_DURATION=%q: want a positive duration such as 45s or 10m", ErrUsage, v)
		}
		durDefault = d
	}
	var (
		targets   = fs.String("target", strings.Join(TargetNames(), ","), "comma list of targets: "+strings.Join(TargetNames(), ", "))
		scenarios = fs.String("scenario", strings.Join(ScenarioNames(), ","), "comma list of scenarios: "+strings.Join(AllScenarios(), ", "))
		duration  = fs.Duration("duration", durDefault, "length of each scenario (env SOAK_DURATION)")
		brokers   = fs.String("brokers", os.Getenv("SOAK_BROKERS"), "external Kafka bootstrap list reachable from containers (env SOAK_BROKERS); default: the test broker")
		out       = fs.String("o", def.OutDir, "directory for figures.json, report.json, report.md and plots")
		rate      = fs.Int("rate", def.Rate, "produced records per second")
		size      = fs.Int("size", def.RecordSize, "record size in bytes")
		parts     = fs.Int("partitions", def.Partitions, "partitions of the soak topic")
		memory    = fs.Int64("memory", def.MemoryLimit, "memory limit of each member container in bytes")
		refresh   = fs.Duration("lag-refresh", def.LagRefresh, "one lag refresh: ownership is checked this long after a rebalance settles")
		slow      = fs.Duration("slow-delay", def.SlowDelay, "delay of ListOffsets and Metadata in the slow-kafka scenario")
		failOn    = fs.String("fail-on", "error", "error | warning | info | never")
		promBin   = fs.String("prometheus", "prometheus", "Prometheus server binary")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // the flag list went to stderr
		}
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	root := "."
	if fs.NArg() > 1 {
		return fmt.Errorf("%w: want at most one directory, got %q", ErrUsage, fs.Args())
	} else if fs.NArg() == 1 {
		root = fs.Arg(0)
	}
	failRank := map[string]int{"error": 3, "warning": 2, "info": 1, "never": 99}
	rank, ok := failRank[*failOn]
	if !ok {
		return fmt.Errorf("%w: -fail-on=%q: want error, warning, info or never", ErrUsage, *failOn)
	}
	o := Options{Root: root, OutDir: *out, Duration: *duration, Brokers: *brokers, Rate: *rate, RecordSize: *size,
		Partitions: *parts, MemoryLimit: *memory, LagRefresh: *refresh, SlowDelay: *slow, PrometheusBin: *promBin, Log: stderr}
	for _, t := range splitList(*targets) {
		if _, err := LookupTarget(t); err != nil {
			return fmt.Errorf("%w: -target: %v", ErrUsage, err)
		}
		o.Targets = append(o.Targets, t)
	}
	for _, s := range splitList(*scenarios) {
		if !contains(AllScenarios(), s) {
			return fmt.Errorf("%w: -scenario %q: want one of %v", ErrUsage, s, AllScenarios())
		}
		o.Scenarios = append(o.Scenarios, s)
	}
	if *rate <= 0 || *size <= 0 || *parts <= 0 || *memory < 16<<20 {
		return fmt.Errorf("%w: -rate, -size and -partitions must be positive and -memory at least 16 MiB", ErrUsage)
	}
	o = o.Defaults()
	results, err := RunAll(ctx, o)
	if errors.Is(err, ErrNoEngine) {
		fmt.Fprintf(stdout, "soak: skipped: %v\n", err)
		return fmt.Errorf("%w: %v", ErrSkipped, err)
	}
	if err != nil && len(results) == 0 {
		return err
	}
	all, werr := WriteOutputs(o.OutDir, o, results)
	if werr != nil {
		return werr
	}
	for _, r := range results {
		status := "pass"
		if len(r.Findings) > 0 {
			status = fmt.Sprintf("FAIL (%d findings)", len(r.Findings))
		}
		if r.Error != "" {
			status += ", error: " + firstLine(r.Error)
		}
		fmt.Fprintf(stdout, "soak: %-14s %-11s %s\n", r.Target, r.Scenario, status)
	}
	for _, f := range all {
		fmt.Fprintf(stdout, "%s: %s: %s\n", f.File, f.Rule, f.Message)
	}
	fmt.Fprintf(stdout, "soak: report in %s/report.md, figures in %s/figures.json\n", o.OutDir, o.OutDir)
	if err != nil {
		return err
	}
	for _, f := range all {
		if f.Severity.Rank() >= rank {
			return fmt.Errorf("%w: %d findings", ErrFindings, len(all))
		}
	}
	return nil
}

// RunAll runs every scenario of o against every target, writing the plots as it goes.
// A scenario that fails to run is recorded with its error and the run continues.
func RunAll(ctx context.Context, o Options) ([]*Result, error) {
	o = o.Defaults()
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, err
	}
	r, err := NewRunner(ctx, o)
	if err != nil {
		return nil, err
	}
	defer r.Close(context.WithoutCancel(ctx))
	var results []*Result
	var errs []error
	for _, t := range o.Targets {
		for _, s := range o.Scenarios {
			res, err := r.Run(ctx, t, s)
			if res == nil {
				return results, err
			}
			if perr := WritePlots(o.OutDir, res, o.Limits); perr != nil {
				res.Notes = append(res.Notes, "plots: "+perr.Error())
			}
			results = append(results, res)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s/%s: %w", t, s, err))
			}
			if ctx.Err() != nil {
				return results, ctx.Err()
			}
		}
	}
	return results, errors.Join(errs...)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

var _ = checks.Version
