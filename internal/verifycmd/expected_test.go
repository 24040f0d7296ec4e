package verifycmd

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/streamaudit/streamaudit/checks"
)

// expectedRow is one row of fixtures/dashstream-v7/EXPECTED.md's Findings table.
type expectedRow struct {
	ID, Section, Mode, Rule, File, Lines, Finding string
	Line                                          int // of the row in EXPECTED.md
}

// inventoryRow is one row of the Inventory table.
type inventoryRow struct {
	Client, File, Lines string
	Secured             bool
	Line                int
}

// parseExpected reads the two tables of EXPECTED.md.
func parseExpected(path string) ([]expectedRow, []inventoryRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var rows []expectedRow
	var inv []inventoryRow
	section := ""
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "## ") {
			section = strings.TrimPrefix(line, "## ")
			continue
		}
		if !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") {
			continue
		}
		cells := splitRow(line)
		switch section {
		case "Findings":
			if len(cells) != 7 {
				return nil, nil, fmt.Errorf("%s:%d: want 7 cells, got %d", path, n, len(cells))
			}
			if cells[0] == "id" {
				continue
			}
			r := expectedRow{ID: cells[0], Section: cells[1], Mode: cells[2], Rule: cells[3], File: cells[4], Lines: cells[5], Finding: cells[6], Line: n}
			if _, _, err := parseSpan(r.Lines); err != nil {
				return nil, nil, fmt.Errorf("%s:%d: %v", path, n, err)
			}
			switch r.Mode {
			case "static", "soak":
				if _, ok := checks.LookupRule(r.Rule); !ok {
					return nil, nil, fmt.Errorf("%s:%d: unknown rule %q", path, n, r.Rule)
				}
			case "none":
			default:
				return nil, nil, fmt.Errorf("%s:%d: mode %q: want static, soak or none", path, n, r.Mode)
			}
			rows = append(rows, r)
		case "Inventory":
			if len(cells) != 4 {
				return nil, nil, fmt.Errorf("%s:%d: want 4 cells, got %d", path, n, len(cells))
			}
			if cells[0] == "client" {
				continue
			}
			sec, err := strconv.ParseBool(cells[3])
			if err != nil {
				return nil, nil, fmt.Errorf("%s:%d: secured %q: %v", path, n, cells[3], err)
			}
			inv = append(inv, inventoryRow{Client: cells[0], File: cells[1], Lines: cells[2], Secured: sec, Line: n})
		}
	}
	return rows, inv, sc.Err()
}

// splitRow splits a Markdown table row, honouring \| escapes.
func splitRow(line string) []string {
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		if line[i] == '\\' && i+1 < len(line) && line[i+1] == '|' {
			cur.WriteByte('|')
			i++
			continue
		}
		if line[i] == '|' {
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteByte(line[i])
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

// parseSpan parses "N", "N-M" or "*" (0, 0: anywhere).
func parseSpan(s string) (int, int, error) {
	if s == "*" {
		return 0, 0, nil
	}
	a, b, found := strings.Cut(s, "-")
	lo, err := strconv.Atoi(a)
	if err != nil {
		return 0, 0, fmt.Errorf("lines %q: want N, N-M or *", s)
	}
	hi := lo
	if found {
		if hi, err = strconv.Atoi(b); err != nil || hi < lo {
			return 0, 0, fmt.Errorf("lines %q: want N, N-M or *", s)
		}
	}
	return lo, hi, nil
}

// matches reports whether finding f satisfies row r: same rule, file matching the glob,
// and the finding's span [line, end_line] overlapping the row's lines.
func (r expectedRow) matches(f checks.Finding) bool {
	if f.Rule != r.Rule || !checks.MatchGlob(r.File, f.File) {
		return false
	}
	lo, hi, _ := parseSpan(r.Lines)
	if lo == 0 {
		return true
	}
	end := f.Line
	if f.EndLine > end {
		end = f.EndLine
	}
	return f.Line <= hi && end >= lo
}
