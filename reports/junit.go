package reports

import (
	"encoding/xml"
	"fmt"
	"io"

	"github.com/streamaudit/streamaudit/checks"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// renderJUnit writes one test suite per rule with a failing test case per error or
// warning finding (info findings are skipped cases), so CI systems list findings as tests.
func renderJUnit(w io.Writer, rep *checks.Report, _ Options) error {
	out := junitSuites{Name: "streamaudit"}
	ids, groups := byRule(rep.Findings)
	for _, id := range ids {
		s := junitSuite{Name: id}
		for _, f := range groups[id] {
			c := junitCase{Name: loc(f), Classname: "streamaudit." + id, File: f.File, Line: f.Line}
			text := fmt.Sprintf("%s: %s", loc(f), f.Message)
			if f.Evidence != "" {
				text += "\nevidence: " + f.Evidence
			}
			if f.Fix != "" {
				text += "\nfix: " + f.Fix
			}
			if f.Severity == checks.SeverityInfo {
				c.Skipped = &junitSkipped{Message: f.Message}
				c.SystemOut = text
				s.Skipped++
			} else {
				c.Failure = &junitFailure{Message: f.Message, Type: string(f.Severity), Text: text}
				s.Failures++
			}
			s.Cases = append(s.Cases, c)
		}
		s.Tests = len(s.Cases)
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Suites = append(out.Suites, s)
	}
	if len(out.Suites) == 0 {
		out.Suites = []junitSuite{{Name: "streamaudit", Tests: 1, Cases: []junitCase{{Name: "no findings", Classname: "streamaudit"}}}}
		out.Tests = 1
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
