package reports

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/streamaudit/streamaudit/checks"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// testRules is a frozen excerpt of the catalogue, so goldens do not change when the real
// catalogue's wording does.
var testRules = []checks.Rule{
	{ID: "rules-invalid", Severity: checks.SeverityError, Area: "rules", Priority: "P1", Title: "Rule file Prometheus would reject", Help: "Fix the file."},
	{ID: "kafka-insecure", Severity: checks.SeverityError, Area: "lint", Priority: "P1", Title: "Definite Kafka security misconfiguration", Help: "Verify TLS."},
	{ID: "env-undocumented", Severity: checks.SeverityWarning, Area: "drift", Priority: "P2", Title: "Variable read by a binary but absent from the docs", Help: "Document it."},
	{ID: "claim-failing", Severity: checks.SeverityError, Area: "claims", Priority: "P0", Title: "Item marked complete whose linked check fails (re-opened)",
		Help: "The claim is re-opened.", Acceptance: "No doc claims the item complete unless its linked checks pass."},
	{ID: "claim-unverified", Severity: checks.SeverityInfo, Area: "claims", Priority: "P2", Title: "Item marked complete with no linked check", Help: "Link a check."},
	{ID: "env-deprecated-prefix", Severity: checks.SeverityWarning, Area: "drift", Priority: "P2", Title: "Use of a deprecated variable prefix",
		Help: "Replace them.", Acceptance: "No doc, script or manifest uses the deprecated prefix."},
	{ID: "kafka-hotloop", Severity: checks.SeverityError, Area: "lint", Priority: "P0", Title: "Broker round trip or per-record goroutine inside a poll loop",
		Help: "Move them to a bounded background task.", Acceptance: "Under synthetic high throughput and slow Kafka, memory stays bounded and consumption does not stall."},
	{ID: "kafka-security", Severity: checks.SeverityError, Area: "lint", Priority: "P1", Title: "Kafka client built without the security config flowing into it",
		Help: "Pass the provider's options into the constructor.", Acceptance: "With KAFKA_SECURITY_PROTOCOL=sasl_ssl plus CA and SASL credentials, this client connects without code changes."},
	{ID: "rules-required-alert", Severity: checks.SeverityError, Area: "rules", Priority: "P2", Title: "Required alert is missing or does not use the required metric",
		Help: "Add the alert.", Acceptance: "The alert exists, uses the metric and has promtool unit tests."},
}

// sample is a report with a finding of every area, related locations, a suppression,
// claims (verified and re-opened), inventories and a tool error.
func sample() *checks.Report {
	fs := checks.FinishFindings([]checks.Finding{
		{Rule: "kafka-security", Message: "franz-go client built without the security config", File: "cmd/cli/tail.go", Line: 19, Column: 2, EndLine: 23,
			Evidence: "kgo.NewClient(kgo.SeedBrokers(brokers...))", Fix: "append the options of (*streaming.KafkaSecurityConfig).Apply", Binary: "./cmd/cli"},
		{Rule: "kafka-hotloop", Message: "go statement per record inside the poll loop", File: "cmd/ws/main.go", Line: 176, Column: 4, Evidence: "go lag.track(rec.Partition, rec.Offset+1)"},
		{Rule: "rules-required-alert", Message: "required alert KafkaInfraErrorsHigh is missing", File: "deploy/prometheus/alerts.yml", Evidence: "alert: KafkaInfraErrorsHigh"},
		{Rule: "env-deprecated-prefix", Message: "DASHSTREAM_TOPIC uses the deprecated prefix DASHSTREAM_ | with a pipe", File: "docs/GUIDE.md", Line: 8, Evidence: "DASHSTREAM_TOPIC",
			Related: []checks.Location{{File: "examples/tail.sh", Line: 5, Message: "also set here"}}},
		{Rule: "claim-unverified", Message: "M-414 is marked complete but no check is linked", File: "ROADMAP.md", Line: 9, Confidence: checks.ConfidenceLow},
	})
	claimFailing := checks.FinishFindings([]checks.Finding{{Rule: "claim-failing", Message: "M-413 is marked complete but kafka-security reports 1 finding", File: "ROADMAP.md", Line: 5,
		Related: []checks.Location{{File: "cmd/cli/tail.go", Line: 19}}}})
	fs = checks.FinishFindings(append(fs, claimFailing...))
	var failing []checks.Finding
	for _, f := range fs {
		if f.Rule == "kafka-security" {
			failing = append(failing, f)
		}
	}
	sup := checks.FinishFindings([]checks.Finding{{Rule: "kafka-security", Message: "test client", File: "internal/x/x.go", Line: 12}})
	return &checks.Report{
		Tool: "streamaudit", Version: checks.Version, Root: "fixtures/demo",
		Findings: fs,
		Inventory: checks.Inventory{
			KafkaClients: []checks.KafkaClient{
				{File: "cmd/cli/tail.go", Line: 19, Library: "franz-go", Role: "consumer", Secured: false, Binary: "./cmd/cli"},
				{File: "cmd/ws/main.go", Line: 110, Library: "franz-go", Role: "consumer", Secured: true, Binary: "./cmd/ws"},
				{File: "internal/streaming/kafka.go", Line: 13, Library: "franz-go", Role: "admin", Secured: false, Binaries: []string{"./cmd/cli", "./cmd/ws"}, Func: "streaming.NewAdmin"},
			},
			Env:     []checks.EnvVar{{Name: "KAFKA_BROKERS", ReadBy: []string{"./cmd/cli", "./cmd/ws"}, DocumentedIn: []string{"docs/CONFIGURATION.md:9"}, SetIn: []string{"deploy/helm/ws.yaml:20"}}},
			Metrics: []checks.Metric{{Name: "websocket_kafka_consumer_lag", Type: "gauge", Labels: []string{"topic", "partition"}, File: "cmd/ws/main.go", Line: 40, Resolved: true}},
		},
		Claims: []checks.Claim{
			{ID: "M-413", File: "ROADMAP.md", Line: 5, Claimed: "complete", Checks: []string{"kafka-security"}, Verified: false, Text: "KafkaSecurityConfig used consistently", Failing: failing},
			{ID: "M-430", File: "ROADMAP.md", Line: 6, Claimed: "complete", Checks: []string{"kafka-hotloop"}, Verified: true},
		},
		Suppressed: []checks.Suppression{{Finding: sup[0], Reason: "test-only client", File: "internal/x/x.go", Line: 11}},
		Summary:    checks.Summarize(fs),
		Errors:     []string{"dashboards: deploy/grafana/broken.json: unexpected end of JSON input"},
		Passed:     []string{"rules-invalid", "kafka-insecure", "env-undocumented"},
	}
}

// sampleBaseline is an older report: the kafka-security finding moved (different line),
// the hotloop finding was fixed before and is back (history), and an env finding is fixed.
func sampleBaseline(cur *checks.Report) *checks.Report {
	old := checks.FinishFindings([]checks.Finding{
		{Rule: "kafka-security", Message: "franz-go client built without the security config", File: "cmd/cli/tail.go", Line: 12,
			Evidence: "kgo.NewClient(kgo.SeedBrokers(brokers...))"},
		{Rule: "env-undocumented", Message: "KAFKA_DLQ_TOPIC is read but documented nowhere", File: "cmd/ws/main.go", Line: 84, Evidence: "KAFKA_DLQ_TOPIC"},
	})
	var hot string
	for _, f := range cur.Findings {
		if f.Rule == "kafka-hotloop" {
			hot = f.Fingerprint
		}
	}
	return &checks.Report{Tool: "streamaudit", Version: checks.Version, Root: "fixtures/demo", Findings: old, History: []string{hot}}
}

func render(t *testing.T, format string, rep *checks.Report, opt Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, format, rep, opt); err != nil {
		t.Fatalf("render %s: %v", format, err)
	}
	return buf.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./reports -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if the change is intended run: go test ./reports -run %s -update\n--- got:\n%s", path, t.Name(), got)
	}
}

func TestGolden(t *testing.T) {
	for _, withBase := range []bool{false, true} {
		rep := sample()
		opt := Options{Rules: testRules}
		suffix := ""
		if withBase {
			base := sampleBaseline(rep)
			opt = Options{Rules: testRules, Baseline: base, BaselineFile: "old/report.json", Rows: ApplyBaseline(rep, base)}
			suffix = "-baseline"
		}
		for _, f := range Formats() {
			ext, _ := Ext(f)
			golden(t, "report"+suffix+"."+ext, render(t, f, rep, opt))
		}
	}
}

func TestTextColourOnlyWhenAsked(t *testing.T) {
	plain := render(t, "text", sample(), Options{})
	if bytes.Contains(plain, []byte("\x1b[")) {
		t.Errorf("text without Color contains ANSI escapes")
	}
	col := render(t, "text", sample(), Options{Color: true})
	if !bytes.Contains(col, []byte(ansiRed+"error"+ansiReset)) {
		t.Errorf("text with Color does not colour the error severity")
	}
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	validate := func(name string, data []byte) {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: not JSON: %v", name, err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s does not validate against SARIF 2.1.0: %v", name, err)
		}
	}
	rep := sample()
	validate("plain", render(t, "sarif", rep, Options{}))
	base := sampleBaseline(rep)
	data := render(t, "sarif", rep, Options{Baseline: base, Rows: ApplyBaseline(rep, base)})
	validate("with baseline", data)
	validate("empty", render(t, "sarif", &checks.Report{Version: checks.Version}, Options{}))

	// The schema does not know our keys: check them explicitly.
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID   string `json:"id"`
						Help struct {
							Text     string `json:"text"`
							Markdown string `json:"markdown"`
						} `json:"help"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID              string            `json:"ruleId"`
				RuleIndex           int               `json:"ruleIndex"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
				BaselineState       string            `json:"baselineState"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Tool.Driver.Rules) != len(checks.Rules()) {
		t.Errorf("driver has %d rules, catalogue %d", len(run.Tool.Driver.Rules), len(checks.Rules()))
	}
	for _, r := range run.Tool.Driver.Rules {
		if r.Help.Text == "" || r.Help.Markdown == "" {
			t.Errorf("rule %s has no help", r.ID)
		}
	}
	states := map[string]string{}
	for i, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %d: ruleIndex %d points at %s, want %s", i, r.RuleIndex, run.Tool.Driver.Rules[r.RuleIndex].ID, r.RuleID)
		}
		if r.PartialFingerprints[FingerprintKey] != rep.Findings[i].Fingerprint || rep.Findings[i].Fingerprint == "" {
			t.Errorf("result %d: partialFingerprints[%s] = %q, want %q", i, FingerprintKey, r.PartialFingerprints[FingerprintKey], rep.Findings[i].Fingerprint)
		}
		states[r.RuleID] = r.BaselineState
	}
	if states["kafka-security"] != "unchanged" || states["kafka-hotloop"] != "new" || states["rules-required-alert"] != "new" {
		t.Errorf("baselineState = %v; want kafka-security unchanged, kafka-hotloop new (regressed), rules-required-alert new", states)
	}
}

func TestApplyBaseline(t *testing.T) {
	rep := sample()
	base := sampleBaseline(rep)
	rows := ApplyBaseline(rep, base)
	got := map[string]checks.Status{}
	for _, f := range rep.Findings {
		got[f.Rule] = f.Status
	}
	want := map[string]checks.Status{
		"kafka-security":        checks.StatusOpen,      // same evidence, moved from line 12 to 19
		"kafka-hotloop":         checks.StatusRegressed, // fingerprint in the baseline's history
		"rules-required-alert":  checks.StatusNew,
		"env-deprecated-prefix": checks.StatusNew,
	}
	for rule, st := range want {
		if got[rule] != st {
			t.Errorf("%s: status %q, want %q", rule, got[rule], st)
		}
	}
	if len(rep.Fixed) != 1 || rep.Fixed[0].Rule != "env-undocumented" || rep.Fixed[0].Status != checks.StatusFixed {
		t.Errorf("Fixed = %+v, want the env-undocumented finding", rep.Fixed)
	}
	if len(rows) != 2 {
		t.Fatalf("rows = %d, want 2 (one open, one fixed)", len(rows))
	}
	for _, r := range rows {
		switch r.Base.Rule {
		case "kafka-security":
			if r.Now == nil || r.Now.Line != 19 {
				t.Errorf("kafka-security row: Now = %+v, want the finding at line 19", r.Now)
			}
		case "env-undocumented":
			if r.Now != nil {
				t.Errorf("env-undocumented row: Now = %+v, want nil (fixed)", r.Now)
			}
		}
	}
	// The fixed fingerprint is carried into the history: when it comes back in a later
	// run against this report, it is a regression.
	next := &checks.Report{Findings: checks.FinishFindings([]checks.Finding{base.Findings[1]})}
	ApplyBaseline(next, rep)
	if next.Findings[0].Status != checks.StatusRegressed {
		t.Errorf("a finding fixed in the previous run came back with status %q, want regressed", next.Findings[0].Status)
	}
}

func TestMarkdownBaselineTable(t *testing.T) {
	rep := sample()
	base := sampleBaseline(rep)
	md := string(render(t, "md", rep, Options{Rules: testRules, Baseline: base, BaselineFile: "old.json", Rows: ApplyBaseline(rep, base)}))
	for _, want := range []string{
		"## 1) Status of old.json Findings",
		"| `kafka-security` franz-go client built without the security config (`cmd/cli/tail.go:12`) | ❌ NOT FIXED | still reported at `cmd/cli/tail.go:19`",
		"| `env-undocumented` KAFKA_DLQ_TOPIC is read but documented nowhere (`cmd/ws/main.go:84`) | ✅ FIXED |",
		"**M-413** is marked complete in `ROADMAP.md:5`, but its linked checks (kafka-security) report 1 finding: `kafka-security` at `cmd/cli/tail.go:19`.",
		"| `./cmd/cli` | 0 / 1 | 0 / 1 | ❌ ignores the security config |",
		"| `./cmd/ws` | 1 / 1 | 0 / 1 | ✅ its own clients apply it; ⚠️ unsecured helper clients in its imports: 1 |",
		"### P0 (Correctness / will page or melt)",
		"- `rules-invalid` passes: no rule file Prometheus would reject.",
		"   - Acceptance: Under synthetic high throughput and slow Kafka, memory stays bounded",
		`DASHSTREAM_TOPIC uses the deprecated prefix DASHSTREAM_ \| with a pipe`,
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

func TestGitHubEscaping(t *testing.T) {
	rep := &checks.Report{Findings: checks.FinishFindings([]checks.Finding{{Rule: "kafka-security", Message: "100% bad\nsecond line", File: "a,b:c.go", Line: 3, Column: 2}})}
	out := string(render(t, "github", rep, Options{Rules: testRules}))
	want := "::error file=a%2Cb%3Ac.go,line=3,col=2,title=streamaudit kafka-security%3A Kafka client built without the security config flowing into it::100%25 bad%0Asecond line\n"
	if !strings.HasPrefix(out, want) {
		t.Errorf("github output:\n%s\nwant prefix:\n%s", out, want)
	}
}

func TestParseFormats(t *testing.T) {
	got, err := ParseFormats("md, json,md")
	if err != nil || strings.Join(got, ",") != "md,json" {
		t.Errorf("ParseFormats = %v, %v", got, err)
	}
	if _, err := ParseFormats("md,pdf"); err == nil || !strings.Contains(err.Error(), `"pdf"`) {
		t.Errorf("ParseFormats(pdf) error = %v, want one naming pdf", err)
	}
}

func TestLoadReportErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{\n  \"findings\": [\n    {\"rule\": 3}\n  ]\n}\n"), 0o644)
	_, err := LoadReport(bad)
	if err == nil || !strings.Contains(err.Error(), bad+":3:") {
		t.Errorf("LoadReport(type error) = %v, want file:3:col", err)
	}
	trunc := filepath.Join(dir, "trunc.json")
	os.WriteFile(trunc, []byte("{\n  \"findings\": [\n"), 0o644)
	if _, err := LoadReport(trunc); err == nil || !strings.Contains(err.Error(), trunc) {
		t.Errorf("LoadReport(truncated) = %v, want an error naming the file", err)
	}
	if _, err := LoadReport(filepath.Join(dir, "missing.json")); err == nil {
		t.Errorf("LoadReport(missing) succeeded")
	}
}
