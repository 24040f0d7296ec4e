// Package claims is verify's claims stage: roadmap claims; consumes State.Findings, fills State.Claims.
package claims

import (
	"context"

	"github.com/streamaudit/streamaudit/checks"
)

// Stage is the claims stage (see checks.Stage).
var Stage = checks.Stage{
	Name:  "claims",
	Group: "claims",
	Rules: []string{"claim-failing", "claim-unverified", "claim-check-missing"},
	Run:   run,
}

func run(ctx context.Context, ws *checks.Workspace, st *checks.State) error {
	return nil // TODO(claims): not built yet
}
