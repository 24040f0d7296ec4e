package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/streamaudit/streamaudit/checks"
)

// renderGitHub writes GitHub Actions workflow commands (::error file=...::message), one
// per finding, which the runner turns into annotations on the pull request.
func renderGitHub(w io.Writer, rep *checks.Report, opt Options) error {
	var b strings.Builder
	for _, f := range rep.Findings {
		cmd := "notice"
		switch f.Severity {
		case checks.SeverityError:
			cmd = "error"
		case checks.SeverityWarning:
			cmd = "warning"
		}
		props := []string{"file=" + ghProp(f.File)}
		if f.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", f.Line))
			if f.EndLine > f.Line {
				props = append(props, fmt.Sprintf("endLine=%d", f.EndLine))
			} else if f.Column > 0 {
				props = append(props, fmt.Sprintf("col=%d", f.Column))
			}
		}
		props = append(props, "title="+ghProp("streamaudit "+f.Rule+": "+opt.title(f.Rule)))
		msg := f.Message
		if f.Evidence != "" {
			msg += "\nevidence: " + f.Evidence
		}
		if f.Fix != "" {
			msg += "\nfix: " + f.Fix
		}
		fmt.Fprintf(&b, "::%s %s::%s\n", cmd, strings.Join(props, ","), ghData(msg))
	}
	fmt.Fprintf(&b, "::notice title=streamaudit::%s\n", ghData(summaryLine(rep, opt)))
	_, err := io.WriteString(w, b.String())
	return err
}

// ghData escapes a workflow command's message.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProp escapes a workflow command's property value.
func ghProp(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
