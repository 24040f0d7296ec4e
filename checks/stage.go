package checks

import "context"

// State is what one verify run accumulates: every stage reads what earlier stages left
// and adds its own findings and inventory. Stages run in the order of the orchestrator's
// list (lint, metrics, rules, dashboards, envdrift, then claims, which consumes findings).
type State struct {
	Inventory Inventory
	Findings  []Finding
	Claims    []Claim
	// Errors are tool problems that did not stop the run (reported, exit code unaffected
	// unless no stage could run).
	Errors []string
}

// Add appends findings.
func (s *State) Add(fs ...Finding) { s.Findings = append(s.Findings, fs...) }

// Stage is one check area. Group is the verify subcommand that selects it
// (lint, rules, drift, claims); `verify` with no subcommand runs every stage.
type Stage struct {
	Name  string
	Group string
	// Rules lists the rule IDs the stage can report (documentation and -enable checks).
	Rules []string
	Run   func(ctx context.Context, ws *Workspace, st *State) error
}
