package envdrift

import (
	"strings"
	"testing"

	"github.com/streamaudit/streamaudit/checks"
)

// world is a small inventory: ./cmd/exporter (package ex) and ./cmd/server (package srv),
// both importing lib; orphan is imported by no binary.
func world() *Scanned {
	g := &GoInventory{Binaries: []*Binary{
		{Dir: "./cmd/exporter", Name: "exporter", PkgPath: "ex", closure: map[string]bool{"ex": true, "lib": true}},
		{Dir: "./cmd/server", Name: "server", PkgPath: "srv", closure: map[string]bool{"srv": true, "lib": true}},
	}}
	read := func(name, pkg string, line int) {
		g.Reads = append(g.Reads, Read{Name: name, Pkg: pkg, Via: "os.Getenv", Loc: checks.Location{File: pkg + ".go", Line: line}})
	}
	read("EX_VAR", "ex", 1)
	read("SRV_ONLY", "srv", 2)
	read("KAFKA_SECURITY_PROTOCOL", "lib", 3)
	read("KAFKA_SASL_PASSWORD", "lib", 4)
	read("ORPHAN_VAR", "orphan", 5)
	g.HardCodes = []HardCode{{Property: "auto.offset.reset", Pkg: "ex", Loc: checks.Location{File: "ex.go", Line: 9}, Expr: "kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())"}}
	s := &Scanned{Go: g, OtherCode: map[string]bool{}, GoLoaded: true}
	for _, n := range []string{"EX_VAR", "SRV_ONLY", "KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_PASSWORD", "ORPHAN_VAR"} {
		s.Docs = append(s.Docs, &Mention{Name: n, Kind: KindDoc, Loc: checks.Location{File: "README.md", Line: 1}})
	}
	return s
}

func doc(s *Scanned, name string) {
	s.Docs = append(s.Docs, &Mention{Name: name, Kind: KindDoc, Loc: checks.Location{File: "docs/x.md", Line: 7}})
}

func workload(s *Scanned, name string, hints []string, env ...*Mention) *Workload {
	w := &Workload{Kind: KindManifest, Name: name, Hints: append([]string{name}, hints...), Loc: checks.Location{File: "deploy/" + name + ".yaml", Line: 3}}
	for _, m := range env {
		m.Workload = w
		m.Set = true
		if m.Kind == "" {
			m.Kind = KindManifest
		}
		if m.Loc.File == "" {
			m.Loc = checks.Location{File: w.Loc.File, Line: 10}
		}
		w.Env = append(w.Env, m)
	}
	s.Workloads = append(s.Workloads, w)
	return w
}

func secured() []*Mention {
	return []*Mention{{Name: "KAFKA_SECURITY_PROTOCOL"}, {Name: "KAFKA_SASL_PASSWORD", Secret: true}}
}

func TestRules(t *testing.T) {
	cases := []struct {
		name  string
		rule  string
		setup func(s *Scanned, c *checks.Config)
		want  int
	}{
		{"stale: documented, read by nothing", "env-doc-stale", func(s *Scanned, c *checks.Config) { doc(s, "STALE_X") }, 1},
		{"stale twin: documented and read", "env-doc-stale", func(s *Scanned, c *checks.Config) { doc(s, "EX_VAR") }, 0},
		{"stale twin: no Go code analysed", "env-doc-stale", func(s *Scanned, c *checks.Config) { doc(s, "STALE_X"); s.GoLoaded = false }, 0},
		{"stale twin: named by a string literal in code", "env-doc-stale", func(s *Scanned, c *checks.Config) { doc(s, "STALE_X"); s.OtherCode["STALE_X"] = true }, 0},
		{"stale twin: env.allow", "env-doc-stale", func(s *Scanned, c *checks.Config) { doc(s, "STALE_X"); c.Env.Allow = []string{"STALE_*"} }, 0},
		{"stale twin: runtime variable", "env-doc-stale", func(s *Scanned, c *checks.Config) { doc(s, "HTTPS_PROXY"); doc(s, "KUBERNETES_SERVICE_HOST") }, 0},
		{"stale twin: a doc snippet's own input", "env-doc-stale", func(s *Scanned, c *checks.Config) {
			s.Docs = append(s.Docs, &Mention{Name: "PIPE_X", Kind: KindDoc, Consumed: true, Loc: checks.Location{File: "docs/ci.md", Line: 3}})
		}, 0},
		{"stale: a snippet's input does not make another doc's mention current", "env-doc-stale", func(s *Scanned, c *checks.Config) {
			s.Docs = append(s.Docs, &Mention{Name: "PIPE_X", Kind: KindDoc, Consumed: true, Loc: checks.Location{File: "docs/ci.md", Line: 3}})
			doc(s, "PIPE_X")
		}, 1},
		{"stale twin: read only in tests", "env-doc-stale", func(s *Scanned, c *checks.Config) { doc(s, "STALE_X"); s.OtherCode["STALE_X"] = true }, 0},
		{"stale: set for our binary", "env-doc-stale", func(s *Scanned, c *checks.Config) {
			workload(s, "exporter", nil, &Mention{Name: "STALE_X"})
		}, 1},
		{"stale twin: set for a foreign image", "env-doc-stale", func(s *Scanned, c *checks.Config) {
			workload(s, "kafka", []string{"bitnami/kafka:3"}, &Mention{Name: "KAFKA_CFG_LISTENERS"})
		}, 0},
		{"stale: one finding per file", "env-doc-stale", func(s *Scanned, c *checks.Config) {
			doc(s, "STALE_X")
			doc(s, "STALE_X")
			s.Others = append(s.Others, &Mention{Name: "STALE_X", Kind: KindScript, Set: true, Loc: checks.Location{File: "run.sh", Line: 2}})
		}, 2},

		{"set-not-read: exporter given the server's variable", "env-set-not-read", func(s *Scanned, c *checks.Config) {
			workload(s, "exporter", []string{"example/exporter:1"}, &Mention{Name: "SRV_ONLY"})
		}, 1},
		{"set-not-read twin: exporter given its own variable", "env-set-not-read", func(s *Scanned, c *checks.Config) {
			workload(s, "exporter", nil, &Mention{Name: "EX_VAR"}, &Mention{Name: "KAFKA_SECURITY_PROTOCOL"})
		}, 0},
		{"set-not-read twin: unknown binary", "env-set-not-read", func(s *Scanned, c *checks.Config) {
			workload(s, "mystery", nil, &Mention{Name: "SRV_ONLY"})
		}, 0},
		{"set-not-read twin: ambiguous hints", "env-set-not-read", func(s *Scanned, c *checks.Config) {
			workload(s, "exporter", []string{"server"}, &Mention{Name: "SRV_ONLY"})
		}, 0},
		{"set-not-read: env.binaries mapping", "env-set-not-read", func(s *Scanned, c *checks.Config) {
			c.Env.Binaries = map[string]string{"metrics": "./cmd/exporter"}
			workload(s, "metrics", nil, &Mention{Name: "SRV_ONLY"})
		}, 1},
		{"set-not-read twin: allowed runtime variable", "env-set-not-read", func(s *Scanned, c *checks.Config) {
			workload(s, "exporter", nil, &Mention{Name: "GOMEMLIMIT"}, &Mention{Name: "TZ"})
		}, 0},

		{"undocumented: read by a binary", "env-undocumented", func(s *Scanned, c *checks.Config) { s.Docs = s.Docs[1:] }, 1},
		{"undocumented twin: documented", "env-undocumented", func(s *Scanned, c *checks.Config) {}, 0},
		{"undocumented twin: read only by a package no binary imports", "env-undocumented", func(s *Scanned, c *checks.Config) { s.Docs = s.Docs[:4] }, 0},
		{"undocumented: a name without underscore", "env-undocumented", func(s *Scanned, c *checks.Config) {
			s.Go.Reads = append(s.Go.Reads, Read{Name: "DRIVERX", Pkg: "ex", Via: "os.Getenv", Loc: checks.Location{File: "ex.go", Line: 6}})
		}, 1},
		{"undocumented twin: a name without underscore written as code in a doc", "env-undocumented", func(s *Scanned, c *checks.Config) {
			s.Go.Reads = append(s.Go.Reads, Read{Name: "DRIVERX", Pkg: "ex", Via: "os.Getenv", Loc: checks.Location{File: "ex.go", Line: 6}})
			s.DocWords = map[string]bool{"DRIVERX": true}
		}, 0},

		{"deprecated: doc and code", "env-deprecated-prefix", func(s *Scanned, c *checks.Config) {
			c.Env.DeprecatedPrefixes = []string{"OLD_"}
			doc(s, "OLD_X")
			s.Go.Reads = append(s.Go.Reads, Read{Name: "OLD_Y", Pkg: "ex", Loc: checks.Location{File: "ex.go", Line: 4}})
		}, 2},
		{"deprecated twin: no prefix configured", "env-deprecated-prefix", func(s *Scanned, c *checks.Config) { doc(s, "OLD_X") }, 0},

		{"dynamic: non-constant key", "env-dynamic-read", func(s *Scanned, c *checks.Config) {
			s.Go.Dynamic = []DynamicRead{{Pkg: "ex", Expr: "non-constant key os.Getenv(k)", Loc: checks.Location{File: "ex.go", Line: 3}}}
		}, 1},
		{"dynamic twin: none", "env-dynamic-read", func(s *Scanned, c *checks.Config) {}, 0},

		{"missing: deployed binary reads security vars the manifest lacks", "env-missing-in-deploy", func(s *Scanned, c *checks.Config) {
			workload(s, "server", nil, &Mention{Name: "SRV_ONLY"})
		}, 1},
		{"missing twin: manifest passes them", "env-missing-in-deploy", func(s *Scanned, c *checks.Config) {
			workload(s, "server", nil, secured()...)
		}, 0},
		{"missing twin: envFrom reference", "env-missing-in-deploy", func(s *Scanned, c *checks.Config) {
			workload(s, "server", nil).Open = true
		}, 0},
		{"missing twin: required_in_deploy disabled", "env-missing-in-deploy", func(s *Scanned, c *checks.Config) {
			c.Env.RequiredInDeploy = []string{}
			workload(s, "server", nil)
		}, 0},
		{"missing twin: foreign workload", "env-missing-in-deploy", func(s *Scanned, c *checks.Config) {
			workload(s, "kafka", []string{"bitnami/kafka"})
		}, 0},
		{"missing: literal password instead of a Secret", "env-missing-in-deploy", func(s *Scanned, c *checks.Config) {
			workload(s, "server", nil, &Mention{Name: "KAFKA_SECURITY_PROTOCOL"}, &Mention{Name: "KAFKA_SASL_PASSWORD", Value: "hunter2"})
		}, 1},
		{"missing: password from a plain chart value", "env-missing-in-deploy", func(s *Scanned, c *checks.Config) {
			workload(s, "server", nil, &Mention{Name: "KAFKA_SECURITY_PROTOCOL"}, &Mention{Name: "KAFKA_SASL_PASSWORD", Value: "__values__:kafka.password"})
		}, 1},
		{"missing twin: password computed by a template", "env-missing-in-deploy", func(s *Scanned, c *checks.Config) {
			workload(s, "server", nil, &Mention{Name: "KAFKA_SECURITY_PROTOCOL"}, &Mention{Name: "KAFKA_SASL_PASSWORD", Value: "__tpl__"})
		}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := world()
			cfg := checks.DefaultConfig()
			tc.setup(s, cfg)
			var got []checks.Finding
			for _, f := range s.Findings(cfg) {
				if f.Rule == tc.rule {
					got = append(got, f)
				}
			}
			if len(got) != tc.want {
				t.Fatalf("%s: got %d findings, want %d:%s", tc.rule, len(got), tc.want, dump(got))
			}
		})
	}
}

func TestSetNotReadEvidence(t *testing.T) {
	s := world()
	workload(s, "exporter", nil, &Mention{Name: "KAFKA_AUTO_OFFSET_RESET", Value: "latest"})
	s.Go.Reads = append(s.Go.Reads, Read{Name: "KAFKA_AUTO_OFFSET_RESET", Pkg: "srv", Via: "os.LookupEnv", Loc: checks.Location{File: "srv.go", Line: 12}})
	fs := s.Findings(checks.DefaultConfig())
	f := find(fs, "env-set-not-read", "deploy/exporter.yaml", 10, "")
	if f == nil {
		t.Fatalf("no finding:%s", dump(fs))
	}
	if f.Evidence != "auto.offset.reset is hard-coded instead at ex.go:9: kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())" {
		t.Errorf("evidence %q", f.Evidence)
	}
	if len(f.Related) != 2 || f.Related[0].File != "ex.go" || f.Related[1].File != "srv.go" {
		t.Errorf("related %v: want the hard-coded call, then where it is read", f.Related)
	}
	if f.Binary != "./cmd/exporter" {
		t.Errorf("binary %q", f.Binary)
	}
	// negative twin: the hard-coded call is not in the server's closure
	s = world()
	workload(s, "server", nil, &Mention{Name: "KAFKA_AUTO_OFFSET_RESET"})
	if f := find(s.Findings(checks.DefaultConfig()), "env-set-not-read", "deploy/server.yaml", 10, ""); f == nil || f.Evidence != "KAFKA_AUTO_OFFSET_RESET=" {
		t.Errorf("server: %+v", f)
	}
}

func TestConfidenceLoweredByDynamicReads(t *testing.T) {
	s := world()
	workload(s, "exporter", nil, &Mention{Name: "SRV_ONLY"})
	s.Go.Dynamic = []DynamicRead{{Pkg: "ex", Expr: "os.Environ()"}}
	f := find(s.Findings(checks.DefaultConfig()), "env-set-not-read", "deploy/exporter.yaml", 0, "")
	if f == nil || f.Confidence != checks.ConfidenceLow {
		t.Fatalf("want low confidence, got %+v", f)
	}
}

func TestHintTokens(t *testing.T) {
	for h, want := range map[string]string{
		"__tpl__-exporter":                       "exporter",
		"ghcr.io/acme/prometheus-exporter:0.7.0": "ghcr.io acme prometheus-exporter 0.7.0",
		`["/streamsvc", "serve"]`:                "streamsvc serve",
		"__values__:image.repository:1":          "1",
	} {
		if got := strings.Join(hintTokens(h), " "); got != want {
			t.Errorf("hintTokens(%q) = %q, want %q", h, got, want)
		}
	}
}

func TestConfidenceLoweredByIncompleteLoad(t *testing.T) {
	s := world()
	doc(s, "STALE_X")
	s.Go.Incomplete = true
	f := find(s.Findings(checks.DefaultConfig()), "env-doc-stale", "docs/x.md", 0, "")
	if f == nil || f.Confidence != checks.ConfidenceLow {
		t.Fatalf("want low confidence, got %+v", f)
	}
	s.Go.Incomplete = false
	if f := find(s.Findings(checks.DefaultConfig()), "env-doc-stale", "docs/x.md", 0, ""); f == nil || f.Confidence != checks.ConfidenceHigh {
		t.Fatalf("complete load: want high confidence, got %+v", f)
	}
}

func TestPropertyOf(t *testing.T) {
	for name, want := range map[string]string{
		"KAFKA_AUTO_OFFSET_RESET":                     "auto.offset.reset",
		"KAFKA_BROKERS":                               "bootstrap.servers",
		"DASHSTREAM_KAFKA_BROKERS":                    "bootstrap.servers",
		"KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM": "ssl.endpoint.identification.algorithm",
		"HOME": "",
	} {
		if got := propertyOf(name, []string{"DASHSTREAM_"}); got != want {
			t.Errorf("propertyOf(%s) = %q, want %q", name, got, want)
		}
	}
}

func TestCodeWords(t *testing.T) {
	src := []byte("Set `GOPACKAGESDRIVER` or `GOFLAGS=-mod=mod`; JSON and `TLS` are words. `KAFKA_X` has an underscore, `Ab` is not upper case.\n| `HOME` | x |\n")
	got := strings.Join(codeWords(src), ",")
	if want := "GOPACKAGESDRIVER,GOFLAGS,TLS,HOME"; got != want {
		t.Errorf("codeWords = %s, want %s", got, want)
	}
}
