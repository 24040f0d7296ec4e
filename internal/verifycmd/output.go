package verifycmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/checks/soak"
	"github.com/streamaudit/streamaudit/reports"
)

// writeReports renders every requested format to stdout, or to <o>/report.<ext>.
func writeReports(rep *checks.Report, o *options, ropt reports.Options, stdout io.Writer) error {
	if o.outDir == "" {
		for _, f := range o.formats {
			if err := reports.Render(stdout, f, rep, ropt); err != nil {
				return fmt.Errorf("rendering %s: %w", f, err)
			}
		}
		return nil
	}
	if err := os.MkdirAll(o.outDir, 0o755); err != nil {
		return err
	}
	fileOpt := ropt
	fileOpt.Color = false
	for _, f := range o.formats {
		ext, _ := reports.Ext(f)
		p := filepath.Join(o.outDir, "report."+ext)
		out, err := os.Create(p)
		if err != nil {
			return err
		}
		err = reports.Render(out, f, rep, fileOpt)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
	}
	return nil
}

// runReport renders a saved JSON report in other formats (optionally against a baseline).
func runReport(args []string, stdout, stderr io.Writer) (int, error) {
	var o options
	pos, err := parseInterspersed(newFlags(&o, stderr), args)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK, nil
	}
	if err != nil {
		return ExitError, err
	}
	if len(pos) != 1 {
		return ExitError, usagef("verify report: want one report.json, got %d arguments", len(pos))
	}
	rank, ok := failRanks[o.failOn]
	if !ok {
		return ExitError, usagef("-fail-on=%q: want error, warning, info or never", o.failOn)
	}
	rep, err := reports.LoadReport(pos[0])
	if err != nil {
		return ExitError, err
	}
	if len(o.formats) == 0 {
		o.formats = []string{"text"}
	}
	ropt := reports.Options{Color: o.color == "always" || (o.color == "auto" && isTerminal(stdout) && os.Getenv("NO_COLOR") == "")}
	if o.baseline != "" {
		base, err := reports.LoadReport(o.baseline)
		if err != nil {
			return ExitError, err
		}
		ropt.Baseline, ropt.BaselineFile = base, filepath.ToSlash(o.baseline)
		ropt.Rows = reports.ApplyBaseline(rep, base)
	}
	rep.Summary = checks.Summarize(rep.Findings)
	if err := writeReports(rep, &o, ropt, stdout); err != nil {
		return ExitError, err
	}
	for _, f := range rep.Findings {
		if f.Severity.Rank() >= rank {
			return ExitFindings, nil
		}
	}
	return ExitOK, nil
}

// runSoak delegates to checks/soak and maps its errors to exit codes.
func runSoak(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	err := soak.Main(ctx, args, stdout, stderr)
	switch {
	case err == nil:
		return ExitOK, nil
	case errors.Is(err, soak.ErrSkipped):
		fmt.Fprintf(stderr, "verify soak: %v\n", err)
		return ExitOK, nil
	case errors.Is(err, soak.ErrFindings):
		fmt.Fprintf(stderr, "verify soak: %v\n", err)
		return ExitFindings, nil
	case errors.Is(err, flag.ErrHelp) || strings.HasSuffix(err.Error(), flag.ErrHelp.Error()):
		return ExitOK, nil // soak wraps the flag error with %v
	case errors.Is(err, soak.ErrUsage):
		return ExitError, err
	}
	return ExitError, err
}
