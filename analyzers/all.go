// Package analyzers lists streamaudit's go/analysis analyzers and maps each to its rule
// ID (DESIGN.md). Every analyzer lives in its own package; this package only assembles
// them for the drivers (cmd/kafkavet, verify's lint stage, the golangci-lint plugin).
package analyzers

import (
	"golang.org/x/tools/go/analysis"

	"github.com/streamaudit/streamaudit/analyzers/kafkadlqcommit"
	"github.com/streamaudit/streamaudit/analyzers/kafkahotloop"
	"github.com/streamaudit/streamaudit/analyzers/kafkasecurity"
)

// Config configures a set of analyzers.
type Config struct {
	// Providers are extra Kafka security providers (kafka.security_providers).
	Providers []string
	// HonorIgnore drops findings suppressed by //streamaudit:ignore inside the analyzers.
	HonorIgnore bool
}

// All returns the analyzers with default options (the package-level Analyzer of each
// package; directives honoured). Drivers that need options use New.
func All() []*analysis.Analyzer {
	return []*analysis.Analyzer{
		kafkasecurity.Analyzer,
		kafkahotloop.Analyzer,
		kafkadlqcommit.Analyzer,
	}
}

// New returns a fresh, independently configured set of the analyzers.
func New(cfg Config) []*analysis.Analyzer {
	return []*analysis.Analyzer{
		kafkasecurity.New(kafkasecurity.Options{Providers: cfg.Providers, HonorIgnore: cfg.HonorIgnore}),
		kafkahotloop.New(kafkahotloop.Options{HonorIgnore: cfg.HonorIgnore}),
		kafkadlqcommit.New(kafkadlqcommit.Options{HonorIgnore: cfg.HonorIgnore}),
	}
}

// rules maps analyzer names to rule IDs.
var rules = map[string]string{
	"kafkasecurity":  "kafka-security",
	"kafkainsecure":  "kafka-insecure",
	"kafkahotloop":   "kafka-hotloop",
	"kafkaclienv":    "kafka-cli-env",
	"kafkadlqcommit": "kafka-dlq-commit",
}

// Rule returns the rule ID an analyzer reports ("" for analyzers that are not ours).
func Rule(a *analysis.Analyzer) string { return rules[a.Name] }
