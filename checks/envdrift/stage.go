// Package envdrift is verify's envdrift stage: env/doc/deploy drift; fills Inventory.Env.
package envdrift

import (
	"context"

	"github.com/streamaudit/streamaudit/checks"
)

// Stage is the envdrift stage (see checks.Stage).
var Stage = checks.Stage{
	Name:  "envdrift",
	Group: "drift",
	Rules: []string{"env-doc-stale", "env-set-not-read", "env-undocumented", "env-deprecated-prefix", "env-dynamic-read", "env-missing-in-deploy"},
	Run:   run,
}

func run(ctx context.Context, ws *checks.Workspace, st *checks.State) error {
	return nil // TODO(envdrift): not built yet
}
