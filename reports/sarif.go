package reports

import (
	"io"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/streamaudit/streamaudit/checks"
)

// FingerprintKey is the partialFingerprints key under which SARIF results carry
// streamaudit's line-independent fingerprint.
const FingerprintKey = "streamaudit/v1"

// sarifLevel maps a severity to a SARIF result level.
func sarifLevel(s checks.Severity) string {
	switch s {
	case checks.SeverityError:
		return "error"
	case checks.SeverityWarning:
		return "warning"
	}
	return "note"
}

// sarifBaselineState maps a baseline status to SARIF's baselineState.
func sarifBaselineState(s checks.Status) string {
	switch s {
	case checks.StatusOpen:
		return "unchanged"
	case checks.StatusFixed:
		return "absent"
	}
	return "new" // new and regressed
}

// renderSARIF writes a SARIF 2.1.0 log with one run: the whole rule catalogue as rule
// metadata (help text and Markdown), one result per finding with the fingerprint under
// FingerprintKey, related locations, and baselineState when a baseline was given.
func renderSARIF(w io.Writer, rep *checks.Report, opt Options) error {
	log, err := sarif.New(sarif.Version210)
	if err != nil {
		return err
	}
	driver := sarif.NewVersionedDriver("streamaudit", rep.Version)
	driver.WithInformationURI("https://github.com/streamaudit/streamaudit")
	run := sarif.NewRun(*sarif.NewTool(driver))
	index := map[string]int{}
	for _, r := range opt.catalogue() {
		index[r.ID] = len(driver.Rules)
		help := r.Help
		if r.Acceptance != "" {
			help += "\n\nAcceptance: " + r.Acceptance
		}
		rd := sarif.NewRule(r.ID).
			WithName(ruleName(r.ID)).
			WithShortDescription(sarif.NewMultiformatMessageString(r.Title)).
			WithFullDescription(sarif.NewMultiformatMessageString(r.Title + ". " + r.Help)).
			WithHelp(sarif.NewMultiformatMessageString(help).WithMarkdown(help)).
			WithHelpURI("https://github.com/streamaudit/streamaudit/blob/main/docs/CHECKS.md#" + r.ID).
			WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(r.Severity)))
		pb := sarif.NewPropertyBag()
		pb.Add("area", r.Area)
		if r.Priority != "" {
			pb.Add("priority", r.Priority)
		}
		pb.Add("tags", []string{"streamaudit", r.Area})
		rd.WithProperties(pb.Properties)
		driver.Rules = append(driver.Rules, rd)
	}
	for _, f := range rep.Findings {
		run.AddResult(sarifResult(f, index, opt.Baseline != nil))
	}
	run.Results = append([]*sarif.Result{}, run.Results...)
	log.AddRun(run)
	return log.PrettyWrite(w)
}

func sarifResult(f checks.Finding, index map[string]int, withBaseline bool) *sarif.Result {
	msg := f.Message
	if f.Evidence != "" {
		msg += " (evidence: " + oneLine(f.Evidence) + ")"
	}
	res := sarif.NewRuleResult(f.Rule).
		WithLevel(sarifLevel(f.Severity)).
		WithMessage(sarif.NewTextMessage(msg)).
		WithLocations([]*sarif.Location{sarifLocation(checks.Location{File: f.File, Line: f.Line, Column: f.Column, EndLine: f.EndLine})})
	if i, ok := index[f.Rule]; ok {
		res.WithRuleIndex(i)
	}
	res.WithPartialFingerPrints(map[string]interface{}{FingerprintKey: f.Fingerprint})
	for i, r := range f.Related {
		l := sarifLocation(r).WithId(i + 1)
		if r.Message != "" {
			l.WithMessage(sarif.NewTextMessage(r.Message))
		}
		res.AddRelatedLocation(l)
	}
	if withBaseline && f.Status != "" {
		res.WithBaselineState(sarifBaselineState(f.Status))
	}
	pb := sarif.NewPropertyBag()
	pb.Add("confidence", string(f.Confidence))
	if f.Status != "" {
		pb.Add("status", string(f.Status))
	}
	if f.Fix != "" {
		pb.Add("fix", f.Fix)
	}
	if f.Binary != "" {
		pb.Add("binary", f.Binary)
	}
	res.AttachPropertyBag(pb)
	return res
}

func sarifLocation(l checks.Location) *sarif.Location {
	pl := sarif.NewPhysicalLocation().
		WithArtifactLocation(sarif.NewSimpleArtifactLocation(l.File).WithUriBaseId("%SRCROOT%"))
	if l.Line > 0 {
		reg := sarif.NewRegion().WithStartLine(l.Line)
		if l.Column > 0 {
			reg.WithStartColumn(l.Column)
		}
		if l.EndLine > l.Line {
			reg.WithEndLine(l.EndLine)
		}
		pl.WithRegion(reg)
	}
	return sarif.NewLocationWithPhysicalLocation(pl)
}

// ruleName turns kafka-security into KafkaSecurity (SARIF's rule name).
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}
