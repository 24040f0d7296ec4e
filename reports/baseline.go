package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/streamaudit/streamaudit/checks"
)

// LoadReport reads a JSON report written by verify (-format json), e.g. a -baseline file.
func LoadReport(path string) (*checks.Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	var rep checks.Report
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&rep); err != nil {
		var se *json.SyntaxError
		if asSyntax(err, &se) {
			line, col := lineCol(data, max(se.Offset-1, 0)) // Offset is just past the bad byte
			return nil, fmt.Errorf("baseline %s:%d:%d: %v", path, line, col, err)
		}
		var te *json.UnmarshalTypeError
		if asType(err, &te) {
			line, col := lineCol(data, te.Offset)
			return nil, fmt.Errorf("baseline %s:%d:%d: field %s: %v", path, line, col, te.Field, err)
		}
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	if rep.Tool != "" && rep.Tool != "streamaudit" {
		return nil, fmt.Errorf("baseline %s: tool %q: want a streamaudit JSON report", path, rep.Tool)
	}
	return &rep, nil
}

func asSyntax(err error, target **json.SyntaxError) bool {
	se, ok := err.(*json.SyntaxError)
	if ok {
		*target = se
	}
	return ok
}

func asType(err error, target **json.UnmarshalTypeError) bool {
	te, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*target = te
	}
	return ok
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// BaselineRow is one row of the "Status of the baseline's findings" table: a baseline
// finding and where it occurs now (Now is nil when it is fixed).
type BaselineRow struct {
	Base checks.Finding
	Now  *checks.Finding
}

// ApplyBaseline sets every finding's status against base and lists the baseline's
// findings that no longer occur in rep.Fixed:
//
//   - open: the finding was in the baseline (same fingerprint; or, when the check changed
//     its wording, the same rule, file and evidence; or the same rule and file);
//   - regressed: not in the baseline, but its fingerprint was fixed in the baseline's
//     history (the baseline's Fixed and History);
//   - new: everything else.
//
// rep.History carries every fingerprint ever fixed, so a chain of baselines keeps telling
// regressions from new findings. The returned rows pair every baseline finding with its
// current occurrence, in file order.
func ApplyBaseline(rep, base *checks.Report) []BaselineRow {
	pair := make([]int, len(rep.Findings))
	for i := range pair {
		pair[i] = -1
	}
	matched := make([]bool, len(base.Findings))
	byFP := map[string][]int{}
	for i, f := range base.Findings {
		byFP[f.Fingerprint] = append(byFP[f.Fingerprint], i)
	}
	history := map[string]bool{}
	for _, fp := range base.History {
		history[fp] = true
	}
	for _, f := range base.Fixed {
		history[f.Fingerprint] = true
	}
	take := func(pred func(b checks.Finding) bool) int {
		for i, b := range base.Findings {
			if !matched[i] && pred(b) {
				matched[i] = true
				return i
			}
		}
		return -1
	}
	status := make([]checks.Status, len(rep.Findings))
	// Pass 1: exact fingerprints.
	for i, f := range rep.Findings {
		for _, j := range byFP[f.Fingerprint] {
			if !matched[j] {
				matched[j] = true
				status[i], pair[i] = checks.StatusOpen, j
				break
			}
		}
	}
	// Pass 2: regressions, then the same rule, file and evidence (wording changed).
	for i, f := range rep.Findings {
		if status[i] != "" {
			continue
		}
		if history[f.Fingerprint] {
			status[i] = checks.StatusRegressed
			continue
		}
		if j := take(func(b checks.Finding) bool {
			return b.Rule == f.Rule && b.File == f.File && norm(key(b)) == norm(key(f))
		}); j >= 0 {
			status[i], pair[i] = checks.StatusOpen, j
		}
	}
	// Pass 3: the same rule in the same file (the code moved or the evidence changed).
	for i, f := range rep.Findings {
		if status[i] != "" {
			continue
		}
		if j := take(func(b checks.Finding) bool { return b.Rule == f.Rule && b.File == f.File }); j >= 0 {
			status[i], pair[i] = checks.StatusOpen, j
		} else {
			status[i] = checks.StatusNew
		}
	}
	var rows []BaselineRow
	for i := range rep.Findings {
		rep.Findings[i].Status = status[i]
		if pair[i] >= 0 {
			rows = append(rows, BaselineRow{Base: base.Findings[pair[i]], Now: &rep.Findings[i]})
		}
	}
	rep.Fixed = nil
	for i, b := range base.Findings {
		if !matched[i] {
			b.Status = checks.StatusFixed
			rep.Fixed = append(rep.Fixed, b)
			rows = append(rows, BaselineRow{Base: b})
			history[b.Fingerprint] = true
		}
	}
	current := map[string]bool{}
	for _, f := range rep.Findings {
		current[f.Fingerprint] = true
	}
	rep.History = nil
	for fp := range history {
		if !current[fp] {
			rep.History = append(rep.History, fp)
		}
	}
	sort.Strings(rep.History)
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i].Base, rows[j].Base
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return rows
}

func key(f checks.Finding) string {
	if f.Evidence != "" {
		return f.Evidence
	}
	return f.Message
}

func norm(s string) string { return strings.Join(strings.Fields(s), " ") }
