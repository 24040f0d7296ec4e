package checks

// Report is the canonical JSON report (DESIGN.md "Finding"). Field names are a contract.
type Report struct {
	Tool       string         `json:"tool"`
	Version    string         `json:"version"`
	Root       string         `json:"root"`
	Findings   []Finding      `json:"findings"`
	Inventory  Inventory      `json:"inventory"`
	Claims     []Claim        `json:"claims"`
	Suppressed []Suppression  `json:"suppressed"`
	Summary    map[string]int `json:"summary"`
	// Fixed lists baseline findings that no longer occur (only with -baseline).
	Fixed []Finding `json:"fixed,omitempty"`
	// Errors lists tool problems that did not stop the run (a file that could not be
	// parsed is a finding; a check that could not run at all is an error here).
	Errors []string `json:"errors,omitempty"`
	// Passed lists the rules whose checks ran and reported nothing (what the report can
	// state as verified).
	Passed []string `json:"passed,omitempty"`
	// History keeps every fingerprint ever reported as fixed, so a later run can tell
	// "regressed" from "new" (carried forward from the baseline).
	History []string `json:"history,omitempty"`
}

// Version is streamaudit's version as written into reports.
const Version = "0.1.0"

// Inventory is what the checks learned about the audited tree.
type Inventory struct {
	KafkaClients []KafkaClient `json:"kafka_clients"`
	Env          []EnvVar      `json:"env"`
	Metrics      []Metric      `json:"metrics"`
}

// KafkaClient is one construction of a Kafka client found in Go code.
type KafkaClient struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Library string `json:"library"` // franz-go, sarama, kafka-go, confluent-kafka-go
	Role    string `json:"role"`    // consumer, producer, admin, client
	Secured bool   `json:"secured"`
	Binary  string `json:"binary,omitempty"`
	// Binaries lists every main package whose import closure holds the construction.
	Binaries []string `json:"binaries,omitempty"`
	Func     string   `json:"func,omitempty"`
}

// EnvVar is one environment variable and everywhere it is read, documented and set.
type EnvVar struct {
	Name         string   `json:"name"`
	ReadBy       []string `json:"read_by"`
	DocumentedIn []string `json:"documented_in"`
	SetIn        []string `json:"set_in"`
	ReadAt       []string `json:"read_at,omitempty"`
}

// Metric is one metric the Go code exports.
type Metric struct {
	Name   string   `json:"name"`
	Type   string   `json:"type"` // counter, gauge, histogram, summary, untyped, unknown
	Labels []string `json:"labels"`
	File   string   `json:"file"`
	Line   int      `json:"line"`
	Help   string   `json:"help,omitempty"`
	// Resolved is false when the name could not be computed statically.
	Resolved bool `json:"resolved"`
	// LabelsUnresolved is true when some label names could not be computed statically
	// (Labels is then incomplete).
	LabelsUnresolved bool `json:"labels_unresolved,omitempty"`
}

// Claim is one tracked item that a document marks complete.
type Claim struct {
	ID       string    `json:"id"`
	File     string    `json:"file"`
	Line     int       `json:"line"`
	Claimed  string    `json:"claimed"`
	Checks   []string  `json:"checks"`
	Verified bool      `json:"verified"`
	Text     string    `json:"text,omitempty"`
	Failing  []Finding `json:"failing,omitempty"`
}

// Suppression is a finding silenced by a //streamaudit:ignore directive.
type Suppression struct {
	Finding Finding `json:"finding"`
	Reason  string  `json:"reason"`
	File    string  `json:"file"`
	Line    int     `json:"line"`
}

// Summarize counts findings per severity.
func Summarize(fs []Finding) map[string]int {
	m := map[string]int{"error": 0, "warning": 0, "info": 0}
	for _, f := range fs {
		m[string(f.Severity)]++
	}
	return m
}
