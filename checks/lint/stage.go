// Package lint is verify's lint stage: Go analyzers (analyzers.All) over the workspace packages; fills Inventory.KafkaClients.
package lint

import (
	"context"

	"github.com/streamaudit/streamaudit/checks"
)

// Stage is the lint stage (see checks.Stage).
var Stage = checks.Stage{
	Name:  "lint",
	Group: "lint",
	Rules: []string{"kafka-security", "kafka-insecure", "kafka-hotloop", "kafka-cli-env", "kafka-dlq-commit", "go-load"},
	Run:   run,
}

func run(ctx context.Context, ws *checks.Workspace, st *checks.State) error {
	return nil // TODO(lint): not built yet
}
