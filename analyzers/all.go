// Package analyzers lists streamaudit's go/analysis analyzers and maps each to its rule
// ID (DESIGN.md). Every analyzer lives in its own package; this package only assembles
// them for the drivers (cmd/kafkavet, verify's lint stage, the golangci-lint plugin).
package analyzers

import (
	"golang.org/x/tools/go/analysis"

	"github.com/streamaudit/streamaudit/analyzers/kafkaclienv"
	"github.com/streamaudit/streamaudit/analyzers/kafkadlqcommit"
	"github.com/streamaudit/streamaudit/analyzers/kafkahotloop"
	"github.com/streamaudit/streamaudit/analyzers/kafkainsecure"
	"github.com/streamaudit/streamaudit/analyzers/kafkasecurity"
)

// Config configures a set of analyzers.
type Config struct {
	// Providers are extra Kafka security providers (kafka.security_providers): types.Func
	// full names such as "example.com/kcfg.SecurityOpts" or "(*example.com/kcfg.Config).Apply".
	Providers []string
	// HonorIgnore drops findings suppressed by //streamaudit:ignore inside the analyzers
	// (kafkavet, golangci-lint, nogo). verify leaves it off and suppresses centrally.
	HonorIgnore bool
}

// All returns the analyzers with default options (the package-level Analyzer of each
// package: directives honoured, providers from flags). Drivers that need options use New.
func All() []*analysis.Analyzer {
	return []*analysis.Analyzer{
		kafkasecurity.Analyzer,
		kafkainsecure.Analyzer,
		kafkahotloop.Analyzer,
		kafkaclienv.Analyzer,
		kafkadlqcommit.Analyzer,
	}
}

// New returns a fresh, independently configured set of the analyzers (in the order of
// All). Never mix analyzers of New and All in one run: their fact types are shared.
func New(cfg Config) []*analysis.Analyzer {
	return []*analysis.Analyzer{
		kafkasecurity.New(kafkasecurity.Options{Providers: cfg.Providers, HonorIgnore: cfg.HonorIgnore}),
		kafkainsecure.New(kafkainsecure.Options{HonorIgnore: cfg.HonorIgnore}),
		kafkahotloop.New(kafkahotloop.Options{HonorIgnore: cfg.HonorIgnore}),
		kafkaclienv.New(kafkaclienv.Options{HonorIgnore: cfg.HonorIgnore}),
		kafkadlqcommit.New(kafkadlqcommit.Options{HonorIgnore: cfg.HonorIgnore}),
	}
}

// rules maps analyzer names to rule IDs.
var rules = map[string]string{
	"kafkasecurity":  kafkasecurity.Rule,
	"kafkainsecure":  kafkainsecure.Rule,
	"kafkahotloop":   kafkahotloop.Rule,
	"kafkaclienv":    kafkaclienv.Rule,
	"kafkadlqcommit": kafkadlqcommit.Rule,
}

// Rule returns the rule ID an analyzer reports ("" for analyzers that are not ours).
func Rule(a *analysis.Analyzer) string { return rules[a.Name] }

// Rules lists the rule IDs of the analyzers, in the order of All.
func Rules() []string {
	var out []string
	for _, a := range All() {
		out = append(out, rules[a.Name])
	}
	return out
}
