package verifycmd

import (
	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/checks/claims"
	"github.com/streamaudit/streamaudit/checks/dashboards"
	"github.com/streamaudit/streamaudit/checks/envdrift"
	"github.com/streamaudit/streamaudit/checks/lint"
	"github.com/streamaudit/streamaudit/checks/metrics"
	"github.com/streamaudit/streamaudit/checks/rules"
)

// Stages is verify's stage list, in run order: claims comes last because it consumes the
// findings of the others.
func Stages() []checks.Stage {
	return []checks.Stage{lint.Stage, metrics.Stage, rules.Stage, dashboards.Stage, envdrift.Stage, claims.Stage}
}

// Groups are the subcommands that select stages by checks.Stage.Group.
var Groups = []string{"lint", "rules", "drift", "claims"}

// selectStages returns the stages a subcommand runs: all for "", the group's otherwise.
// claims needs the findings of the checks its claims link, so it runs everything.
func selectStages(all []checks.Stage, group string) []checks.Stage {
	if group == "" || group == "claims" {
		return all
	}
	var out []checks.Stage
	for _, s := range all {
		if s.Group == group {
			out = append(out, s)
		}
	}
	// rules and dashboards compare against the metrics the Go code exports: the metrics
	// stage (Group rules) provides them, so "rules" already includes it.
	return out
}
