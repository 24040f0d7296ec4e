package checks

import "sort"

// Rule is one entry of the rule catalogue. The catalogue is the single source for
// docs/CHECKS.md, SARIF rule metadata, rule-ID validation in the config and the CLI.
type Rule struct {
	ID       string
	Severity Severity // default severity
	Area     string   // lint, rules, dashboards, drift, claims, soak, tool
	Title    string   // one line: what it finds
	Help     string   // why it matters and how to fix it (Markdown)
	// Priority maps the rule to the audit's priority list (P0, P1, P2).
	Priority string
	// Acceptance is the acceptance criterion the Markdown report prints for a finding.
	Acceptance string
}

var catalogue = []Rule{
	{ID: "kafka-security", Severity: SeverityError, Area: "lint", Priority: "P1",
		Title:      "Kafka client built without the security config flowing into it",
		Help:       "Every Kafka client (franz-go, sarama, segmentio/kafka-go, confluent-kafka-go) must be built with the project's security configuration (TLS/SASL), typically through one constructor or provider. Pass the provider's options/config into the constructor, or mark the provider with `//streamaudit:kafka-security` or `kafka.security_providers`.",
		Acceptance: "With KAFKA_SECURITY_PROTOCOL=sasl_ssl plus CA and SASL credentials, this client connects without code changes."},
	{ID: "kafka-insecure", Severity: SeverityError, Area: "lint", Priority: "P1",
		Title:      "Definite Kafka security misconfiguration",
		Help:       "SASL PLAIN without TLS sends the password in clear; constant InsecureSkipVerify, sarama Net.TLS.Config without Net.TLS.Enable, and enable.ssl.certificate.verification=false disable or skip TLS verification.",
		Acceptance: "The client verifies the broker certificate and never sends credentials in clear."},
	{ID: "kafka-hotloop", Severity: SeverityError, Area: "lint", Priority: "P0",
		Title:      "Broker round trip or per-record goroutine inside a poll loop",
		Help:       "ListOffsets/watermark queries, admin and metadata requests, or a goroutine per record inside the consume loop stall consumption when Kafka is slow and can grow memory without bound. Move them to a bounded background task.",
		Acceptance: "Under synthetic high throughput and slow Kafka, memory stays bounded and consumption does not stall."},
	{ID: "kafka-cli-env", Severity: SeverityWarning, Area: "lint", Priority: "P1",
		Title:      "CLI Kafka flags disagree on env binding or default, or share a hard-coded group id",
		Help:       "Every command of one binary should bind --brokers/--topic/--group to the same env vars (KAFKA_BROKERS, KAFKA_TOPIC) with one default, and operator commands should not commit into a hard-coded shared group.",
		Acceptance: "All commands accept KAFKA_BROKERS and KAFKA_TOPIC with one documented default topic, and use a unique group id unless one is given."},
	{ID: "kafka-dlq-commit", Severity: SeverityError, Area: "lint", Priority: "P2",
		Title:      "Offset commit does not depend on the dead-letter send having succeeded",
		Help:       "If a DLQ produce fails and the offset is committed anyway, the record is lost. Check the produce error on every path to the commit (fail-closed), or make best-effort an explicit, documented decision.",
		Acceptance: "DLQ semantics are explicit: with fail-closed, no offset past a record is committed until it is processed or in the DLQ."},
	{ID: "rules-invalid", Severity: SeverityError, Area: "rules", Priority: "P1",
		Title: "Rule file Prometheus would reject",
		Help:  "The rule file does not load in Prometheus: YAML, rule structure, PromQL or alert-template error, checked with rulefmt and the PromQL parser of Prometheus v0.316.0 exactly as `promtool check rules` does (UTF-8 names allowed, as in Prometheus 3). Plain rule files, PrometheusRule CRDs (`spec.groups`, also inside `List`s and multi-document files), rule YAML inside ConfigMap `data` and Grafana-managed alert provisioning are loaded; lines are those of the file on disk. A common case: `{{ $label.instance }}` instead of `{{ $labels.instance }}` in an annotation. See docs/CHECKS-rules.md."},
	{ID: "rules-required-alert", Severity: SeverityError, Area: "rules", Priority: "P2",
		Title:      "Required alert is missing or does not use the required metric",
		Help:       "An alert listed in `rules.required_alerts` must exist in the rule files and its expression must reference every metric in `uses`. A missing alert is reported at the canonical rule file (the first member of the first `rules.copies` entry, else the first rule file).",
		Acceptance: "The alert exists, uses the metric and has promtool unit tests."},
	{ID: "rules-unknown-metric", Severity: SeverityWarning, Area: "rules", Priority: "P1",
		Title: "Rule references a metric the code does not export",
		Help:  "The expression selects a metric that no Go code of the repository exports, so the alert can never fire. The inventory comes from the metrics stage (client_golang constructors, NewDesc, kprom, Go/process collectors); histogram `_bucket/_sum/_count`, summary `_sum/_count`, OpenMetrics `_total/_created`, recording-rule outputs and Prometheus' own series (`up`, `ALERTS`, `scrape_*`) count as known. When the repository has no Go code or the inventory is empty, nothing is reported (there is nothing to compare with); when some metric names in the code cannot be resolved statically, findings that could match them have low confidence. The fix suggests the closest exported name."},
	{ID: "rules-counter-func", Severity: SeverityWarning, Area: "rules", Priority: "P2",
		Title: "rate/increase on a gauge, or delta/deriv on a counter",
		Help:  "rate, irate, increase and resets assume counter semantics (resets); delta, idelta, deriv and predict_linear assume gauges. Types come from the code (constructor, or the value type passed to MustNewConstMetric for NewDesc descriptors); histogram/summary `_count/_sum/_bucket` series are counters. When the type is unknown, delta/deriv on a name ending in `_total/_count/_sum/_bucket` is reported as info with low confidence."},
	{ID: "rules-unalerted", Severity: SeverityError, Area: "rules", Priority: "P2",
		Title:      "Metric that must be alerted on is referenced by no alert",
		Help:       "A metric matched by `rules.must_alert` (glob over metric names of the inventory), or named in a comment of a rule file, is referenced by no alerting rule, directly or through a recording rule: it is measured but not operationalised. Comment tokens count when the code exports them, they match `must_alert`, or they end in `_total`. The comment finding lists the metric's definition in the code as related location.",
		Acceptance: "An alert fires on the metric's rate and has promtool unit tests for firing and non-firing cases."},
	{ID: "rules-copy-drift", Severity: SeverityError, Area: "rules", Priority: "P1",
		Title: "Two copies of a rule set differ",
		Help:  "Copies listed in `rules.copies` (the first path is the original) are compared semantically: rules are matched by kind and name, expressions normalised through the PromQL parser (spacing, quoting and line breaks do not count), and `for`, `keep_firing_for`, labels and annotations compared as values, so a CRD and a plain-file copy of the same rules are in sync. The finding names the alert that differs, how, and the original's line; missing and extra rules are reported too. Entries of `.json` files are Grafana dashboard copies, compared query by query."},
	{ID: "rules-unknown-label", Severity: SeverityWarning, Area: "rules", Priority: "P2",
		Title: "Label matcher on a label the metric does not have",
		Help:  "A selector matches a label that the exported metric never carries (label names from `*Vec` constructors, NewDesc variable and constant labels, kprom's `node_id/topic`), so it selects nothing. Target labels (`job`, `instance`, `namespace`, `pod`, ...), matchers that accept the empty value and metrics whose labels cannot be resolved statically are not reported."},
	{ID: "rules-duplicate-alert", Severity: SeverityWarning, Area: "rules", Priority: "P2",
		Title: "Duplicate alert name",
		Help:  "Two alerting rules share a name and the same labels in the rule files (one name with different `severity` labels is a common pattern and not reported). Secondary members of `rules.copies` are left out: copies are compared by rules-copy-drift instead."},
	{ID: "rules-missing-for", Severity: SeverityWarning, Area: "rules", Priority: "P1",
		Title: "Lag alert without a `for` duration",
		Help:  "An alert named like a lag alert (`lag` in its name) or selecting a metric with `_lag` in its name has no `for`: it pages on a single evaluation, e.g. right after a rebalance. Add `for:` longer than a rebalance takes."},
	{ID: "rules-needs-rendering", Severity: SeverityInfo, Area: "rules", Priority: "P2",
		Title: "Rule file is a Helm template and needs rendering",
		Help:  "The file is a Helm template and cannot be checked unrendered; run `helm template` and point `rules.files` at the output. `{{` alone is not a signal, since alert labels and annotations are Go templates in Prometheus too: the signals are Helm-only actions (`.Values`, `.Release`, `include`, `toYaml`, `nindent`, template comments), an action on its own line outside a block scalar, and an action inside an expression, name or key."},
	{ID: "dashboard-unknown-metric", Severity: SeverityWarning, Area: "dashboards", Priority: "P2",
		Title: "Dashboard query references a metric the code does not export",
		Help:  "A Grafana panel or templating query (`label_values(metric, label)`, `query_result(expr)`) selects a metric no Go code exports; the panel stays empty. Panels, collapsed-row panels and legacy `rows` are walked; targets of non-Prometheus data sources (by type, or through a data-source variable) are skipped; `$__rate_interval`, `$__interval` and variables inside ranges become `5m`, variables in label values become a placeholder value. Like rules-unknown-metric, nothing is reported without an inventory."},
	{ID: "dashboard-invalid", Severity: SeverityWarning, Area: "dashboards", Priority: "P2",
		Title: "Dashboard file or query cannot be parsed",
		Help:  "The dashboard JSON, or a Prometheus query inside it after variable substitution, does not parse; the finding gives the line of the query in the file."},
	{ID: "metric-naming", Severity: SeverityWarning, Area: "rules", Priority: "P2",
		Title: "Exported metric name breaks Prometheus conventions",
		Help:  "Metrics the repository's code declares (library collectors excluded) are checked with client_golang's promlint name checks: base units (`_seconds`, `_bytes`, not `_milliseconds`), `_total` on counters and not on other types, no type name or camelCase in the name, no reserved `le`/`quantile` labels; plus no member or client ids in label names (their series grow with the group)."},
	{ID: "env-doc-stale", Severity: SeverityWarning, Area: "drift", Priority: "P2",
		Title:      "Variable documented or set in a script/manifest but read by no code",
		Help:       "Docs and examples name a variable the binaries never read; users set it and nothing happens.",
		Acceptance: "No doc or example names a variable that no code reads."},
	{ID: "env-set-not-read", Severity: SeverityError, Area: "drift", Priority: "P1",
		Title:      "Deployment sets a variable its binary never reads",
		Help:       "A manifest sets a variable for a container whose binary never reads it; the evidence names where the value is hard-coded instead, if found.",
		Acceptance: "Setting the variable in the deployment changes the binary's behaviour; documented."},
	{ID: "env-undocumented", Severity: SeverityWarning, Area: "drift", Priority: "P2",
		Title: "Variable read by a binary but absent from the docs",
		Help:  "Document every variable a binary reads."},
	{ID: "env-deprecated-prefix", Severity: SeverityWarning, Area: "drift", Priority: "P2",
		Title:      "Use of a deprecated variable prefix",
		Help:       "Variables with a prefix listed in env.deprecated_prefixes are no longer read; replace them with their current names.",
		Acceptance: "No doc, script or manifest uses the deprecated prefix."},
	{ID: "env-dynamic-read", Severity: SeverityInfo, Area: "drift", Priority: "P2",
		Title: "Non-constant env key or environment scan",
		Help:  "The key cannot be resolved statically; env findings for this binary have lower confidence."},
	{ID: "env-missing-in-deploy", Severity: SeverityError, Area: "drift", Priority: "P2",
		Title:      "Required variable cannot be set through the deployment manifests",
		Help:       "Variables listed in env.required_in_deploy (e.g. KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*) must be settable in the manifests, secrets through Secret references.",
		Acceptance: "Helm/K8s templates allow passing the security variables, secrets via Secret refs."},
	{ID: "claim-failing", Severity: SeverityError, Area: "claims", Priority: "P0",
		Title:      "Item marked complete whose linked check fails (re-opened)",
		Help:       "A tracking document marks the item complete but its linked check reports findings; the claim is re-opened with the failing findings as evidence.",
		Acceptance: "No doc claims the item complete unless its linked checks pass."},
	{ID: "claim-unverified", Severity: SeverityInfo, Area: "claims", Priority: "P2",
		Title: "Item marked complete with no linked check",
		Help:  "Link the item to a rule through claims.checks or an inline <!-- verify: RULE --> comment."},
	{ID: "claim-check-missing", Severity: SeverityWarning, Area: "claims", Priority: "P2",
		Title: "Claim links a check that does not exist",
		Help:  "The rule ID named for the claim is not in the catalogue."},
	{ID: "soak-memory-unbounded", Severity: SeverityError, Area: "soak", Priority: "P0",
		Title:      "Memory grows without bound under load",
		Help:       "Peak memory exceeded the bound or the post-warm-up trend is not flat.",
		Acceptance: "Under synthetic high throughput, memory stays bounded."},
	{ID: "soak-stale-gauge", Severity: SeverityError, Area: "soak", Priority: "P0",
		Title:      "Lag series exported for a partition the member does not own",
		Help:       "After a rebalance a member still exports lag for revoked partitions.",
		Acceptance: "Lag gauge doesn't page falsely after a rebalance."},
	{ID: "soak-data-loss", Severity: SeverityError, Area: "soak", Priority: "P0",
		Title: "A produced record was neither processed nor dead-lettered",
		Help:  "At-least-once was violated: a sequence number is missing."},
	{ID: "soak-false-alert", Severity: SeverityError, Area: "soak", Priority: "P0",
		Title: "A lag alert fired during a healthy run",
		Help:  "Prometheus reported a lag alert firing during a rebalance or idle period."},
	{ID: "config-invalid", Severity: SeverityError, Area: "tool", Priority: "P2",
		Title: "Invalid .streamaudit.yaml",
		Help:  "The configuration file has an unknown key or a bad value."},
	{ID: "go-load", Severity: SeverityWarning, Area: "tool", Priority: "P2",
		Title: "Go package could not be loaded or type-checked",
		Help:  "Lint and inventory results for this package are incomplete (confidence lowered). Also reported at the go.mod of every Go module below the root: verify loads the root's module only (`./...` does not reach nested modules), so their code is not checked; run verify in each module, or exclude the directory."},
	{ID: "suppression-invalid", Severity: SeverityWarning, Area: "tool", Priority: "P2",
		Title: "//streamaudit:ignore without a rule or reason",
		Help:  "Suppressions need a rule ID and a reason: //streamaudit:ignore RULE reason."},
	{ID: "soak-alert-pending", Severity: SeverityWarning, Area: "soak", Priority: "P0",
		Title:      "A lag alert went pending after a rebalance while the consumers kept up",
		Help:       "A lag alert (its query reads a lag gauge, not a failure counter) turned pending during the soak's rebalance scenario, which produces at a rate both members keep up with: nothing lags, so the lag it sees comes from series the members should no longer export or from a threshold below the normal lag. Left for its `for:` duration it pages (`soak-false-alert`). Short soaks end before most `for:` clauses elapse; this is the same false page caught early. Delete the lag series of revoked partitions and alert on lag the member owns.",
		Acceptance: "Lag gauge doesn't page falsely after a rebalance."},
}

// Rules returns the catalogue sorted by ID.
func Rules() []Rule {
	out := append([]Rule(nil), catalogue...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// LookupRule finds a rule by ID.
func LookupRule(id string) (Rule, bool) {
	for _, r := range catalogue {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}
