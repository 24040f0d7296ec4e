// Package golangci registers streamaudit's analyzers as a golangci-lint module plugin
// named "streamaudit" (see docs/KAFKAVET.md for the .custom-gcl.yml and .golangci.yml).
//
// Settings (linters.settings.custom.streamaudit.settings):
//
//	providers: ["example.com/kcfg.SecurityOpts"]  # extra Kafka security providers
//	disable: ["kafka-cli-env"]                     # rule IDs to leave out
//	ignore-directives: true                        # honour //streamaudit:ignore (default)
package golangci

import (
	"fmt"
	"slices"

	"github.com/golangci/plugin-module-register/register"
	"golang.org/x/tools/go/analysis"

	"github.com/streamaudit/streamaudit/analyzers"
)

func init() {
	register.Plugin("streamaudit", New)
}

// Settings are the plugin's settings as golangci-lint passes them.
type Settings struct {
	Providers        []string `json:"providers"`
	Disable          []string `json:"disable"`
	IgnoreDirectives *bool    `json:"ignore-directives"`
}

// New decodes the settings (unknown keys are an error) and returns the plugin.
func New(raw any) (register.LinterPlugin, error) {
	s, err := register.DecodeSettings[Settings](raw)
	if err != nil {
		return nil, fmt.Errorf("streamaudit plugin settings: %w", err)
	}
	known := analyzers.Rules()
	for _, r := range s.Disable {
		if !slices.Contains(known, r) {
			return nil, fmt.Errorf("streamaudit plugin settings: disable: unknown rule %q (known: %v)", r, known)
		}
	}
	return &plugin{s: s}, nil
}

type plugin struct{ s Settings }

// BuildAnalyzers returns a fresh, configured set of the analyzers.
func (p *plugin) BuildAnalyzers() ([]*analysis.Analyzer, error) {
	honor := true
	if p.s.IgnoreDirectives != nil {
		honor = *p.s.IgnoreDirectives
	}
	var out []*analysis.Analyzer
	for _, a := range analyzers.New(analyzers.Config{Providers: p.s.Providers, HonorIgnore: honor}) {
		if !slices.Contains(p.s.Disable, analyzers.Rule(a)) {
			out = append(out, a)
		}
	}
	return out, nil
}

// GetLoadMode asks for type information: the analyzers need types and facts.
func (p *plugin) GetLoadMode() string { return register.LoadModeTypesInfo }
