package soak

import "fmt"

// Target is a consumer service the soak can run: how to build its image and start a
// member of its consumer group.
type Target struct {
	// Name is the target's name in reports (streamsvc, dashstream-v7).
	Name string
	// Source is the main package relative to the repository root (findings point here).
	Source string
	// ModuleDir is the directory `go build` runs in (the target's go.mod), relative to root.
	ModuleDir string
	// Package is the main package relative to ModuleDir.
	Package string
	// Binary is the file name the Dockerfile copies from its build context.
	Binary string
	// Dockerfile is relative to the repository root.
	Dockerfile string
	// Cmd is the container command of a group member.
	Cmd []string
	// HTTPPort is the container port serving MetricsPath.
	HTTPPort string
	// MetricsPath is scraped every second; ReadyPath answers 200 once the member runs.
	MetricsPath, ReadyPath string
	// Env returns a member's environment.
	Env func(brokers, topic, dlqTopic, group string) map[string]string
	// RulesDir holds the target's Prometheus rule files (relative to the root).
	RulesDir string
	// Accountable tells whether the target commits an offset only after the record was
	// processed or dead-lettered and decodes loadgen envelopes (dlq-outage relies on it).
	Accountable bool
}

// Targets are the known targets by name.
var targets = map[string]Target{
	"streamsvc": {
		Name: "streamsvc", Source: "cmd/streamsvc", ModuleDir: ".", Package: "./cmd/streamsvc",
		Binary: "streamsvc", Dockerfile: "deploy/docker/streamsvc.Dockerfile",
		Cmd: []string{"serve"}, HTTPPort: "8080/tcp", MetricsPath: "/metrics", ReadyPath: "/healthz",
		Env: func(brokers, topic, dlqTopic, group string) map[string]string {
			return map[string]string{
				"KAFKA_BROKERS": brokers, "KAFKA_TOPIC": topic, "KAFKA_DLQ_TOPIC": dlqTopic,
				"KAFKA_GROUP_ID": group, "KAFKA_AUTO_OFFSET_RESET": "earliest",
				"STREAMSVC_HTTP_ADDR": "0.0.0.0:8080",
			}
		},
		RulesDir: "deploy/prometheus", Accountable: true,
	},
	"dashstream-v7": {
		Name: "dashstream-v7", Source: "fixtures/dashstream-v7/cmd/websocket-server",
		ModuleDir: "fixtures/dashstream-v7", Package: "./cmd/websocket-server",
		Binary: "dashstream-v7-websocket-server", Dockerfile: "deploy/docker/dashstream-v7-websocket.Dockerfile",
		HTTPPort: "9190/tcp", MetricsPath: "/metrics", ReadyPath: "/metrics",
		RulesDir: "fixtures/dashstream-v7/deploy/prometheus",
		Env: func(brokers, topic, dlqTopic, group string) map[string]string {
			return map[string]string{
				"KAFKA_BROKERS": brokers, "KAFKA_TOPIC": topic, "KAFKA_DLQ_TOPIC": dlqTopic,
				"KAFKA_GROUP_ID": group, "KAFKA_AUTO_OFFSET_RESET": "earliest",
				"METRICS_ADDR": "0.0.0.0:9190",
			}
		},
	},
}

// TargetNames lists the known targets in a stable order.
func TargetNames() []string { return []string{"streamsvc", "dashstream-v7"} }

// LookupTarget returns the named target.
func LookupTarget(name string) (Target, error) {
	t, ok := targets[name]
	if !ok {
		return Target{}, fmt.Errorf("target %q: want one of %v", name, TargetNames())
	}
	return t, nil
}
