package checks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Config is the .streamaudit.yaml schema (DESIGN.md). Keys are a contract.
type Config struct {
	Version    int               `yaml:"version"`
	Go         GoConfig          `yaml:"go"`
	Kafka      KafkaConfig       `yaml:"kafka"`
	Rules      RulesConfig       `yaml:"rules"`
	Dashboards []string          `yaml:"dashboards"`
	Env        EnvConfig         `yaml:"env"`
	Claims     ClaimsConfig      `yaml:"claims"`
	Exclude    []string          `yaml:"exclude"`  // extension: globs never scanned
	Severity   map[string]string `yaml:"severity"` // extension: rule ID -> error|warning|info|off

	// File is where the config came from ("" for zero-config defaults).
	File string `yaml:"-"`
}

// GoConfig selects the Go packages to load.
type GoConfig struct {
	Packages []string `yaml:"packages"`
	Tags     []string `yaml:"tags"` // extension: build tags
	// Dependencies (extension) says how packages outside the audited module are loaded:
	// DepsExport (default, also when empty) reads their types from the compiler's export
	// data; DepsSource type-checks them from source without function bodies, which keeps
	// dependency functions marked //streamaudit:kafka-security visible to the analyzers
	// at several times the cost.
	Dependencies string `yaml:"dependencies"`
}

// Values of go.dependencies.
const (
	DepsExport = "export"
	DepsSource = "source"
)

// KafkaConfig configures the Kafka analyzers.
type KafkaConfig struct {
	SecurityProviders []string `yaml:"security_providers"`
}

// RulesConfig configures the Prometheus rule checks.
type RulesConfig struct {
	Files          []string        `yaml:"files"`
	Copies         [][]string      `yaml:"copies"`
	RequiredAlerts []RequiredAlert `yaml:"required_alerts"`
	MustAlert      []string        `yaml:"must_alert"`
}

// RequiredAlert is an alert that must exist and use the listed metrics.
type RequiredAlert struct {
	Alert string   `yaml:"alert"`
	Uses  []string `yaml:"uses"`
}

// EnvConfig configures env/doc/deploy drift checks.
type EnvConfig struct {
	Docs               []string          `yaml:"docs"`
	Deploy             []string          `yaml:"deploy"`
	Scripts            []string          `yaml:"scripts"`
	DeprecatedPrefixes []string          `yaml:"deprecated_prefixes"`
	Binaries           map[string]string `yaml:"binaries"`
	RequiredInDeploy   []string          `yaml:"required_in_deploy"`
	Allow              []string          `yaml:"allow"`
}

// ClaimsConfig configures roadmap-claim verification.
type ClaimsConfig struct {
	Docs   []string            `yaml:"docs"`
	Checks map[string][]string `yaml:"checks"`
}

// ConfigError is a configuration problem at file:line.
type ConfigError struct {
	File string
	Line int
	Msg  string
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// ConfigErrors collects every problem of one config file.
type ConfigErrors []*ConfigError

func (es ConfigErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// DefaultConfig returns the zero-config defaults: the usual places of a Go service repo.
func DefaultConfig() *Config {
	return &Config{
		Version:    1,
		Go:         GoConfig{Packages: []string{"./..."}},
		Rules:      RulesConfig{Files: []string{"deploy/**/*.yml", "deploy/**/*.yaml", "prometheus/**/*.yml", "prometheus/**/*.yaml", "**/alerts*.yml", "**/alerts*.yaml", "**/*rules*.yml", "**/*rules*.yaml"}, MustAlert: []string{"*_infrastructure_errors_total"}},
		Dashboards: []string{"deploy/**/*.json", "grafana/**/*.json", "dashboards/**/*.json"},
		Env: EnvConfig{
			Docs:               []string{"*.md", "docs/**/*.md"},
			Deploy:             []string{"deploy/**", "helm/**", "charts/**", "k8s/**", "docker-compose*.y*ml", "compose*.y*ml", "**/Dockerfile*", "**/*.env", ".env*"},
			Scripts:            []string{"scripts/**/*.sh", "examples/**/*.sh", "**/examples/*.sh"},
			DeprecatedPrefixes: nil,
		},
		Claims:  ClaimsConfig{Docs: []string{"ROADMAP*.md", "WORKER_DIRECTIVE.md", "docs/**/*.md", "*.md"}},
		Exclude: []string{"vendor/**", "node_modules/**", "testdata/**", "**/testdata/**", ".git/**"},
	}
}

var yamlLineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// LoadConfig reads and strictly decodes a config file: unknown keys, wrong types and bad
// values are errors naming file:line. Missing sections keep their zero-config defaults.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig decodes config data read from file (used in errors).
func ParseConfig(file string, data []byte) (*Config, error) {
	cfg := DefaultConfig()
	// Sections present in the file replace the defaults entirely, so decode into a
	// fresh value and merge per top-level key.
	var parsed Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var errs ConfigErrors
	if err := dec.Decode(&parsed); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, msg := range te.Errors {
				ce := &ConfigError{File: file, Msg: msg}
				if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
					ce.Line, _ = strconv.Atoi(m[1])
					ce.Msg = m[2]
				}
				errs = append(errs, ce)
			}
		} else {
			ce := &ConfigError{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
			if m := regexp.MustCompile(`line (\d+): (.*)`).FindStringSubmatch(ce.Msg); m != nil {
				ce.Line, _ = strconv.Atoi(m[1])
				ce.Msg = m[2]
			}
			errs = append(errs, ce)
		}
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	present := map[string]int{}
	if len(root.Content) == 1 && root.Content[0].Kind == yaml.MappingNode {
		m := root.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			present[m.Content[i].Value] = m.Content[i].Line
		}
	}
	if line, ok := present["version"]; ok && parsed.Version != 1 {
		errs = append(errs, &ConfigError{File: file, Line: line, Msg: fmt.Sprintf("version %d: want 1", parsed.Version)})
	}
	if line, ok := present["severity"]; ok {
		for id, sev := range parsed.Severity {
			if _, known := LookupRule(id); !known {
				errs = append(errs, &ConfigError{File: file, Line: line, Msg: fmt.Sprintf("severity: unknown rule %q", id)})
			}
			switch sev {
			case "error", "warning", "info", "off":
			default:
				errs = append(errs, &ConfigError{File: file, Line: line, Msg: fmt.Sprintf("severity.%s: %q: want error, warning, info or off", id, sev)})
			}
		}
	}
	if line, ok := present["go"]; ok {
		switch parsed.Go.Dependencies {
		case "", DepsExport, DepsSource:
		default:
			if l := childLine(root.Content[0], "go", "dependencies"); l > 0 {
				line = l
			}
			errs = append(errs, &ConfigError{File: file, Line: line, Msg: fmt.Sprintf("go.dependencies: %q: want export or source", parsed.Go.Dependencies)})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if _, ok := present["go"]; ok {
		cfg.Go = parsed.Go
		if len(cfg.Go.Packages) == 0 {
			cfg.Go.Packages = []string{"./..."}
		}
	}
	if _, ok := present["kafka"]; ok {
		cfg.Kafka = parsed.Kafka
	}
	if _, ok := present["rules"]; ok {
		r := parsed.Rules
		if r.Files == nil {
			r.Files = cfg.Rules.Files
		}
		cfg.Rules = r
	}
	if _, ok := present["dashboards"]; ok {
		cfg.Dashboards = parsed.Dashboards
	}
	if _, ok := present["env"]; ok {
		e := parsed.Env
		def := cfg.Env
		if e.Docs == nil {
			e.Docs = def.Docs
		}
		if e.Deploy == nil {
			e.Deploy = def.Deploy
		}
		if e.Scripts == nil {
			e.Scripts = def.Scripts
		}
		cfg.Env = e
	}
	if _, ok := present["claims"]; ok {
		c := parsed.Claims
		if c.Docs == nil {
			c.Docs = cfg.Claims.Docs
		}
		cfg.Claims = c
	}
	if _, ok := present["exclude"]; ok {
		cfg.Exclude = append(cfg.Exclude, parsed.Exclude...)
	}
	cfg.Severity = parsed.Severity
	cfg.File = file
	return cfg, nil
}

// childLine returns the line of the value of m[key][child] in a YAML mapping node (0 if absent).
func childLine(m *yaml.Node, key, child string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key || m.Content[i+1].Kind != yaml.MappingNode {
			continue
		}
		c := m.Content[i+1]
		for j := 0; j+1 < len(c.Content); j += 2 {
			if c.Content[j].Value == child {
				return c.Content[j+1].Line
			}
		}
	}
	return 0
}
