package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/streamaudit/streamaudit/checks"
)

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

type painter bool

func (p painter) paint(code, s string) string {
	if !p {
		return s
	}
	return code + s + ansiReset
}

func (p painter) severity(s checks.Severity) string {
	switch s {
	case checks.SeverityError:
		return p.paint(ansiRed, string(s))
	case checks.SeverityWarning:
		return p.paint(ansiYellow, string(s))
	}
	return p.paint(ansiCyan, string(s))
}

// renderText groups findings by rule (title, then one line per finding with evidence and
// fix) and ends with the summary line.
func renderText(w io.Writer, rep *checks.Report, opt Options) error {
	p := painter(opt.Color)
	var b strings.Builder
	ids, groups := byRule(rep.Findings)
	for _, id := range ids {
		fs := groups[id]
		fmt.Fprintf(&b, "%s %s (%s)\n", p.paint(ansiBold, id), opt.title(id), plural(len(fs), "finding", "findings"))
		for _, f := range fs {
			status := ""
			if opt.Baseline != nil && f.Status != "" {
				status = " [" + string(f.Status) + "]"
			}
			conf := ""
			if f.Confidence == checks.ConfidenceLow {
				conf = " (low confidence)"
			}
			fmt.Fprintf(&b, "  %s: %s: %s%s%s\n", loc(f), p.severity(f.Severity), f.Message, conf, status)
			if f.Evidence != "" {
				fmt.Fprintf(&b, "      %s %s\n", p.paint(ansiDim, "evidence:"), oneLine(f.Evidence))
			}
			if f.Fix != "" {
				fmt.Fprintf(&b, "      %s %s\n", p.paint(ansiDim, "fix:"), oneLine(f.Fix))
			}
		}
		b.WriteByte('\n')
	}
	if opt.Baseline != nil && len(rep.Fixed) > 0 {
		fmt.Fprintf(&b, "%s (%s)\n", p.paint(ansiBold, "fixed since the baseline"), plural(len(rep.Fixed), "finding", "findings"))
		for _, f := range rep.Fixed {
			fmt.Fprintf(&b, "  %s: %s: %s\n", loc(f), f.Rule, f.Message)
		}
		b.WriteByte('\n')
	}
	if len(rep.Suppressed) > 0 {
		fmt.Fprintf(&b, "%s (%d)\n", p.paint(ansiBold, "suppressed"), len(rep.Suppressed))
		for _, s := range rep.Suppressed {
			fmt.Fprintf(&b, "  %s:%d: %s: %s\n", s.File, s.Line, s.Finding.Rule, s.Reason)
		}
		b.WriteByte('\n')
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(&b, "%s %s\n", p.paint(ansiRed, "tool error:"), e)
	}
	fmt.Fprintf(&b, "%s\n", summaryLine(rep, opt))
	_, err := io.WriteString(w, b.String())
	return err
}

func summaryLine(rep *checks.Report, opt Options) string {
	s := rep.Summary
	if s == nil {
		s = checks.Summarize(rep.Findings)
	}
	line := fmt.Sprintf("streamaudit %s: %s, %s, %s", rep.Root, plural(s["error"], "error", "errors"), plural(s["warning"], "warning", "warnings"), plural(s["info"], "info", "info"))
	if len(rep.Suppressed) > 0 {
		line += fmt.Sprintf(", %d suppressed", len(rep.Suppressed))
	}
	if opt.Baseline != nil {
		n := map[checks.Status]int{}
		for _, f := range rep.Findings {
			n[f.Status]++
		}
		line += fmt.Sprintf("; against the baseline: %d new, %d open, %d regressed, %d fixed", n[checks.StatusNew], n[checks.StatusOpen], n[checks.StatusRegressed], len(rep.Fixed))
	}
	return line
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}
