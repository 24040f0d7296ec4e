// Package checks holds the model every streamaudit check shares: findings, the rule
// catalogue, the .streamaudit.yaml configuration and the workspace (file index and the
// Go packages, loaded once per run).
package checks

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Severity is how bad a finding is; -fail-on compares against it.
type Severity string

// Severities, from most to least severe.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Rank orders severities: error 3, warning 2, info 1, anything else 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityError:
		return 3
	case SeverityWarning:
		return 2
	case SeverityInfo:
		return 1
	}
	return 0
}

// Confidence says whether a finding is proven (high) or could not be fully resolved (low).
type Confidence string

// Confidence tiers, as gosec has them.
const (
	ConfidenceHigh Confidence = "high"
	ConfidenceLow  Confidence = "low"
)

// Status is a finding's state against a baseline report.
type Status string

// Baseline statuses. Without a baseline every finding is new.
const (
	StatusNew       Status = "new"
	StatusOpen      Status = "open"
	StatusRegressed Status = "regressed"
	StatusFixed     Status = "fixed"
)

// Location is one place in the audited tree; paths are root-relative with forward slashes.
type Location struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	EndLine int    `json:"end_line,omitempty"`
	Message string `json:"message,omitempty"`
}

func (l Location) String() string {
	if l.Line == 0 {
		return l.File
	}
	return l.File + ":" + strconv.Itoa(l.Line)
}

// Finding is one problem a check reports. The JSON field names are a contract (DESIGN.md):
// extend, never rename or drop.
type Finding struct {
	Rule       string     `json:"rule"`
	Severity   Severity   `json:"severity"`
	Confidence Confidence `json:"confidence"`
	Message    string     `json:"message"`
	File       string     `json:"file"`
	Line       int        `json:"line"`
	Column     int        `json:"column"`
	EndLine    int        `json:"end_line,omitempty"`
	Evidence   string     `json:"evidence,omitempty"`
	Fix        string     `json:"fix,omitempty"`
	// Fingerprint identifies the finding independently of its line; see Fingerprint.
	Fingerprint string `json:"fingerprint"`
	Status      Status `json:"status,omitempty"`
	// Related lists every other location that supports the finding (e.g. each place a
	// stale variable is mentioned, each failing finding behind a re-opened claim).
	Related []Location `json:"related,omitempty"`
	// Key is the stable identity of the thing the finding is about (a variable name, an
	// alert name, a call expression) used for the fingerprint; checks set it when the
	// evidence alone is not stable. Not rendered.
	Key string `json:"-"`
	// Binary is the main package a finding is attributed to, when there is one.
	Binary string `json:"binary,omitempty"`
}

// Position returns the finding's primary location.
func (f Finding) Position() Location {
	return Location{File: f.File, Line: f.Line, Column: f.Column, EndLine: f.EndLine}
}

// Fingerprint computes a line-independent identity: rule, file and the finding's key (or
// evidence, or message), whitespace-folded. Occurrence numbers keep identical findings in
// one file apart; FinishFindings assigns them.
func Fingerprint(f Finding, occurrence int) string {
	key := f.Key
	if key == "" {
		key = f.Evidence
	}
	if key == "" {
		key = f.Message
	}
	h := sha256.New()
	for _, part := range []string{f.Rule, filepath.ToSlash(f.File), strings.Join(strings.Fields(key), " "), strconv.Itoa(occurrence)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// FinishFindings sorts findings by file, line, column and rule, fills defaults (confidence
// high, severity from the catalogue) and assigns fingerprints. It returns the same slice.
func FinishFindings(fs []Finding) []Finding {
	for i := range fs {
		f := &fs[i]
		f.File = filepath.ToSlash(f.File)
		if f.Confidence == "" {
			f.Confidence = ConfidenceHigh
		}
		if f.Severity == "" {
			if r, ok := LookupRule(f.Rule); ok {
				f.Severity = r.Severity
			} else {
				f.Severity = SeverityWarning
			}
		}
	}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
	seen := map[string]int{}
	for i := range fs {
		base := Fingerprint(fs[i], 0)
		n := seen[base]
		seen[base] = n + 1
		if n == 0 {
			fs[i].Fingerprint = base
		} else {
			fs[i].Fingerprint = Fingerprint(fs[i], n)
		}
	}
	return fs
}
