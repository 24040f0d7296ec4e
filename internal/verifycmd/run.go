// Package verifycmd is the verify command: flags and subcommands, configuration, the stage
// list, suppressions, severity overrides, baselines, the -changed mode, report writing and
// exit codes (DESIGN.md "verify CLI"). cmd/verify only calls Main.
package verifycmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/checks/cache"
	"github.com/streamaudit/streamaudit/reports"
)

// Exit codes (DESIGN.md).
const (
	ExitOK       = 0 // nothing at or above -fail-on
	ExitFindings = 1 // findings at or above -fail-on
	ExitError    = 2 // usage or tool error
)

// UsageError is a bad command line or configuration (exit 2).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error { return &UsageError{Msg: fmt.Sprintf(format, args...)} }

// failRanks maps -fail-on to the lowest severity rank that fails the run.
var failRanks = map[string]int{"error": 3, "warning": 2, "info": 1, "never": 1 << 30}

// options are the parsed flags of one run.
type options struct {
	group    string
	dir      string
	config   string
	formats  []string
	outDir   string
	baseline string
	failOn   string
	changed  bool
	color    string
	cache    bool
}

const usageText = `usage: verify [lint|rules|drift|claims] [flags] [dir]
       verify report [flags] report.json     render a saved JSON report
       verify soak [flags]                   soak tests in containers (see verify soak -h)
       verify rules-list                     the rule catalogue

Runs streamaudit's static checks on dir (default .) and reports the findings.
Exit codes: 0 nothing at or above -fail-on, 1 findings at or above it, 2 usage or tool error.

flags:
`

// Main runs verify with args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	code, err := run(ctx, args, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "verify: %v\n", err)
		if code == ExitOK {
			code = ExitError
		}
	}
	return code
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	group := ""
	if len(args) > 0 {
		switch args[0] {
		case "lint", "rules", "drift", "claims":
			group, args = args[0], args[1:]
		case "soak":
			return runSoak(ctx, args[1:], stdout, stderr)
		case "report":
			return runReport(args[1:], stdout, stderr)
		case "rules-list", "catalogue":
			for _, r := range checks.Rules() {
				fmt.Fprintf(stdout, "%-26s %-8s %-10s %s\n", r.ID, r.Severity, r.Area, r.Title)
			}
			return ExitOK, nil
		case "help", "-h", "-help", "--help":
			fmt.Fprint(stdout, usageText)
			newFlags(&options{}, stdout).PrintDefaults()
			return ExitOK, nil
		}
	}
	var o options
	o.group = group
	pos, err := parseInterspersed(newFlags(&o, stderr), args)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK, nil
	}
	if err != nil {
		return ExitError, err
	}
	if len(pos) > 1 {
		return ExitError, usagef("want at most one directory, got %q", pos)
	}
	o.dir = "."
	if len(pos) == 1 {
		o.dir = pos[0]
	}
	return audit(ctx, &o, stdout, stderr)
}

func newFlags(o *options, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.config, "config", "", "config file (default <dir>/.streamaudit.yaml if present, else zero-config defaults)")
	fs.Func("format", "comma list of "+strings.Join(reports.Formats(), ", ")+" (default text on a terminal, json otherwise)", func(v string) error {
		f, err := reports.ParseFormats(v)
		o.formats = f
		return err
	})
	fs.StringVar(&o.outDir, "o", "", "write report.<ext> for each format into this directory instead of stdout")
	fs.StringVar(&o.baseline, "baseline", "", "a previous report.json: findings get status new|open|regressed, fixed ones are listed")
	fs.StringVar(&o.failOn, "fail-on", "error", "exit 1 on findings at or above: error, warning, info or never")
	fs.BoolVar(&o.changed, "changed", false, "check only the packages and files changed against HEAD (plus untracked files)")
	fs.StringVar(&o.color, "color", "auto", "colour in the text format: auto (terminals only), always, never")
	fs.BoolVar(&o.cache, "cache", true, "replay the result of an earlier run with identical inputs from the result cache, and reuse the loader's list of dependency export data ("+cache.EnvVar+": its directory, or off); false: neither")
	return fs
}

// parseInterspersed lets flags follow the directory (verify . -format json).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, flag.ErrHelp
			}
			return nil, usagef("%v", err)
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// audit is one static run: config, workspace, stages, report, exit code.
func audit(ctx context.Context, o *options, stdout, stderr io.Writer) (int, error) {
	rank, ok := failRanks[o.failOn]
	if !ok {
		return ExitError, usagef("-fail-on=%q: want error, warning, info or never", o.failOn)
	}
	if o.color != "auto" && o.color != "always" && o.color != "never" {
		return ExitError, usagef("-color=%q: want auto, always or never", o.color)
	}
	if len(o.formats) == 0 {
		if isTerminal(stdout) && o.outDir == "" {
			o.formats = []string{"text"}
		} else {
			o.formats = []string{"json"}
		}
	}
	st, err := os.Stat(o.dir)
	if err != nil {
		return ExitError, fmt.Errorf("audit root: %w", err)
	}
	if !st.IsDir() {
		return ExitError, fmt.Errorf("audit root %s: not a directory", o.dir)
	}
	var base *checks.Report
	if o.baseline != "" {
		if base, err = reports.LoadReport(o.baseline); err != nil {
			return ExitError, err
		}
	}
	cfg, err := loadConfig(o)
	if err != nil {
		return ExitError, err
	}
	ws, err := checks.NewWorkspace(o.dir, cfg)
	if err != nil {
		return ExitError, err
	}
	ws.NoDiskCache = !o.cache
	files, err := ws.Files()
	if err != nil {
		return ExitError, fmt.Errorf("listing %s: %w", o.dir, err)
	}
	if len(files) == 0 {
		return ExitError, fmt.Errorf("nothing to audit in %s: no files (after excludes)", o.dir)
	}

	stages := selectStages(Stages(), o.group)
	var scope *changeScope
	if o.changed {
		scope, err = changedScope(ctx, ws)
		if err != nil {
			return ExitError, err
		}
		if scope.empty() {
			fmt.Fprintln(stderr, "verify -changed: no changed file to check")
			return ExitOK, nil
		}
		stages = scope.restrict(ws, stages)
	}

	rc := openResultCache(ctx, o, ws, scope, stderr)
	rep, ranAny := rc.get()
	if !ranAny {
		rep, ranAny = runStages(ctx, ws, stages, scope, o.group)
		rc.put(ctx, rep, ranAny, stderr)
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(stderr, "verify: %s\n", e)
	}
	if !ranAny {
		return ExitError, errors.New("no check could run (see the errors above)")
	}
	rep.Root = filepath.ToSlash(filepath.Clean(o.dir))

	ropt := reports.Options{Color: o.color == "always" || (o.color == "auto" && isTerminal(stdout) && os.Getenv("NO_COLOR") == "")}
	if base != nil {
		ropt.Baseline = base
		ropt.BaselineFile = filepath.ToSlash(o.baseline)
		ropt.Rows = reports.ApplyBaseline(rep, base)
	}
	if err := writeReports(rep, o, ropt, stdout); err != nil {
		return ExitError, err
	}
	for _, f := range rep.Findings {
		if f.Severity.Rank() >= rank {
			return ExitFindings, nil
		}
	}
	return ExitOK, nil
}

func loadConfig(o *options) (*checks.Config, error) {
	path := o.config
	if path == "" {
		p := filepath.Join(o.dir, ".streamaudit.yaml")
		if _, err := os.Stat(p); err != nil {
			return checks.DefaultConfig(), nil
		}
		path = p
	}
	cfg, err := checks.LoadConfig(path)
	if err != nil {
		var ce checks.ConfigErrors
		if errors.As(err, &ce) {
			return nil, fmt.Errorf("invalid configuration:\n%v", err)
		}
		return nil, err
	}
	return cfg, nil
}

// runStages runs every stage (recovering panics into tool errors), applies severity
// overrides and suppressions after each stage so that claims sees what the user sees,
// then adds load problems, suppression problems and fingerprints.
func runStages(ctx context.Context, ws *checks.Workspace, stages []checks.Stage, scope *changeScope, group string) (*checks.Report, bool) {
	st := &checks.State{}
	dirs, derr := scanDirectives(ws, scope)
	if derr != nil {
		st.Errors = append(st.Errors, derr.Error())
	}
	sup := newSuppressor(dirs)
	var suppressed []checks.Suppression
	ranAny := false
	ranRules := map[string]bool{}
	// Each stage's outcome is merged into st in stage order, so the report is the one a
	// sequential run gives.
	merge := func(s checks.Stage, o stageOutcome) {
		st.Errors = append(st.Errors, o.errors...)
		if o.err != nil {
			st.Errors = append(st.Errors, fmt.Sprintf("%s: %v", s.Name, o.err))
		} else {
			ranAny = true
			for _, r := range s.Rules {
				ranRules[r] = true
			}
		}
		kept, sp := sup.filter(overrideSeverity(ws.Config, o.findings))
		suppressed = append(suppressed, sp...)
		st.Findings = append(st.Findings, kept...)
	}
	outcomes := runConcurrently(ctx, ws, stages)
	for i, s := range stages {
		if outcomes[i] == nil { // consumes the findings of the others: runs on the merged state
			merge(s, *runCaptured(ctx, ws, s, st))
			continue
		}
		merge(s, *outcomes[i])
		if i == len(stages)-1 || outcomes[i+1] == nil {
			// the inventory the concurrent stages built, before a stage that reads st
			st.Inventory = mergeInventory(outcomes[:i+1])
		}
	}
	if len(stages) == 0 {
		ranAny = true
	}
	late := invalidFindings(dirs)
	if runsGo(stages) {
		late = append(late, loadFindings(ctx, ws, st.Findings)...)
	}
	kept, sp := sup.filter(overrideSeverity(ws.Config, late))
	suppressed = append(suppressed, sp...)
	st.Findings = append(st.Findings, kept...)
	var passed []string
	if scope == nil {
		reported := map[string]bool{}
		for _, f := range st.Findings {
			reported[f.Rule] = true
		}
		for r := range ranRules {
			if !reported[r] && ws.Config.Severity[r] != "off" {
				passed = append(passed, r)
			}
		}
		sort.Strings(passed)
	}
	if group == "claims" {
		st.Findings = onlyRules(st.Findings, "claim-", "suppression-", "go-load", "config-")
	}
	if scope != nil {
		st.Findings = scope.filter(st.Findings)
	}
	findings := checks.FinishFindings(st.Findings)
	for i := range suppressed {
		suppressed[i].Finding = checks.FinishFindings([]checks.Finding{suppressed[i].Finding})[0]
	}
	rep := &checks.Report{
		Tool:       "streamaudit",
		Version:    checks.Version,
		Findings:   findings,
		Inventory:  st.Inventory,
		Claims:     st.Claims,
		Suppressed: suppressed,
		Summary:    checks.Summarize(findings),
		Errors:     st.Errors,
		Passed:     passed,
	}
	return rep, ranAny
}

// stageOutcome is what one stage added: findings and errors in order, its inventory
// (the State it ran on), and the error that stopped it.
type stageOutcome struct {
	findings []checks.Finding
	errors   []string
	err      error
	inv      *checks.Inventory
}

// runConcurrently runs the stages before claims (which consumes their findings) and
// returns their outcomes by index; claims and the stages after it get nil. lint (the Go
// load and the analyzers, most of a run) runs in its own goroutine beside the others,
// which read neither its findings nor its inventory; they run one after the other on a
// shared State, because rules and dashboards read the metrics stage's inventory. The Go
// packages are loaded once (Workspace.Packages) and only read afterwards, by both sides.
func runConcurrently(ctx context.Context, ws *checks.Workspace, stages []checks.Stage) []*stageOutcome {
	out := make([]*stageOutcome, len(stages))
	end := len(stages)
	for i, s := range stages {
		if s.Name == "claims" {
			end = i
			break
		}
	}
	var wg sync.WaitGroup
	lint := -1
	if end > 1 {
		for i := range end {
			if stages[i].Name == "lint" {
				lint = i
				wg.Add(1)
				go func() {
					defer wg.Done()
					out[i] = runCaptured(ctx, ws, stages[i], &checks.State{})
				}()
			}
		}
	}
	rest := &checks.State{}
	for i := range end {
		if i != lint {
			out[i] = runCaptured(ctx, ws, stages[i], rest)
		}
	}
	wg.Wait()
	return out
}

// runCaptured runs s on st and takes what it added back out: its findings and errors
// move to the outcome (st keeps what it had before; its inventory stays, for the stages
// after s that read it).
func runCaptured(ctx context.Context, ws *checks.Workspace, s checks.Stage, st *checks.State) *stageOutcome {
	before, errs := len(st.Findings), len(st.Errors)
	err := runStage(ctx, ws, s, st)
	o := &stageOutcome{findings: slices.Clone(st.Findings[before:]), errors: slices.Clone(st.Errors[errs:]), err: err, inv: &st.Inventory}
	st.Findings, st.Errors = st.Findings[:before], st.Errors[:errs]
	return o
}

// mergeInventory joins the inventories the outcomes' States hold (each State once).
func mergeInventory(outcomes []*stageOutcome) checks.Inventory {
	var inv checks.Inventory
	seen := map[*checks.Inventory]bool{}
	for _, o := range outcomes {
		if o == nil || seen[o.inv] {
			continue
		}
		seen[o.inv] = true
		inv.KafkaClients = append(inv.KafkaClients, o.inv.KafkaClients...)
		inv.Metrics = append(inv.Metrics, o.inv.Metrics...)
		inv.Env = append(inv.Env, o.inv.Env...)
	}
	return inv
}

func runStage(ctx context.Context, ws *checks.Workspace, s checks.Stage, st *checks.State) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error (please report): %v\n%s", r, debug.Stack())
		}
	}()
	if s.Run == nil {
		return errors.New("stage has no Run function")
	}
	return s.Run(ctx, ws, st)
}

func runsGo(stages []checks.Stage) bool {
	for _, s := range stages {
		if s.Name == "lint" {
			return true
		}
	}
	return false
}

func onlyRules(fs []checks.Finding, prefixes ...string) []checks.Finding {
	var out []checks.Finding
	for _, f := range fs {
		for _, p := range prefixes {
			if strings.HasPrefix(f.Rule, p) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// overrideSeverity applies the config's severity map (off drops the finding) and fills
// the catalogue's default severity.
func overrideSeverity(cfg *checks.Config, fs []checks.Finding) []checks.Finding {
	out := fs[:0:0]
	for _, f := range fs {
		if f.Severity == "" {
			if r, ok := checks.LookupRule(f.Rule); ok {
				f.Severity = r.Severity
			}
		}
		if sev, ok := cfg.Severity[f.Rule]; ok {
			if sev == "off" {
				continue
			}
			f.Severity = checks.Severity(sev)
		}
		out = append(out, f)
	}
	return out
}

// scanDirectives reads the suppression directives of every indexed text file (in -changed
// mode, of the changed files). Test files are skipped: their packages are not audited.
func scanDirectives(ws *checks.Workspace, scope *changeScope) ([]directive, error) {
	files, err := ws.Files()
	if err != nil {
		return nil, err
	}
	var out []directive
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || (scope != nil && !scope.files[f]) {
			continue
		}
		data, err := ws.ReadFile(f)
		if err != nil || len(data) > 4<<20 {
			continue // unreadable files are reported by the checks that need them
		}
		out = append(out, parseDirectives(f, data)...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out, nil
}
