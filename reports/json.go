package reports

import (
	"encoding/json"
	"io"

	"github.com/streamaudit/streamaudit/checks"
)

// Canonical returns a copy of rep whose lists are never null, so the JSON always has
// every contract field.
func Canonical(rep *checks.Report) *checks.Report {
	c := *rep
	if c.Tool == "" {
		c.Tool = "streamaudit"
	}
	if c.Version == "" {
		c.Version = checks.Version
	}
	if c.Findings == nil {
		c.Findings = []checks.Finding{}
	}
	if c.Claims == nil {
		c.Claims = []checks.Claim{}
	}
	if c.Suppressed == nil {
		c.Suppressed = []checks.Suppression{}
	}
	if c.Inventory.KafkaClients == nil {
		c.Inventory.KafkaClients = []checks.KafkaClient{}
	}
	if c.Inventory.Env == nil {
		c.Inventory.Env = []checks.EnvVar{}
	}
	if c.Inventory.Metrics == nil {
		c.Inventory.Metrics = []checks.Metric{}
	}
	if c.Summary == nil {
		c.Summary = checks.Summarize(c.Findings)
	}
	return &c
}

func renderJSON(w io.Writer, rep *checks.Report, _ Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(Canonical(rep))
}
