// Package rules is verify's rules stage: Prometheus rule files.
package rules

import (
	"context"

	"github.com/streamaudit/streamaudit/checks"
)

// Stage is the rules stage (see checks.Stage).
var Stage = checks.Stage{
	Name:  "rules",
	Group: "rules",
	Rules: []string{"rules-invalid", "rules-required-alert", "rules-unknown-metric", "rules-counter-func", "rules-unalerted", "rules-copy-drift", "rules-unknown-label", "rules-duplicate-alert", "rules-missing-for", "rules-needs-rendering"},
	Run:   run,
}

func run(ctx context.Context, ws *checks.Workspace, st *checks.State) error {
	return nil // TODO(rules): not built yet
}
