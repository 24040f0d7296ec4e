package soak

import (
	"maps"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"

	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

// securityEnv returns the Kafka security settings (the KAFKA_SECURITY_PROTOCOL,
// KAFKA_SASL_* and KAFKA_SSL_* rows of streamsvc's configuration table) that lookup has,
// and the files they name (KAFKA_*_LOCATION, KAFKA_SASL_PASSWORD_FILE), sorted. An external
// cluster (SOAK_BROKERS) gets them from the harness's own environment: its own clients use
// them, and the members and the load generator receive them with each file mounted
// read-only at the same path.
func securityEnv(lookup kafkaconf.LookupFunc) (map[string]string, []string) {
	env := map[string]string{}
	var files []string
	for _, v := range kafkaconf.Table {
		if v.Section != kafkaconf.SectionSecurity {
			continue
		}
		val, ok := lookup(v.Name) //streamaudit:ignore env-dynamic-read the security rows of kafkaconf.Table, documented in docs/CONFIGURATION.md
		if !ok || val == "" {
			continue
		}
		env[v.Name] = val
		if strings.HasSuffix(v.Name, "_LOCATION") || strings.HasSuffix(v.Name, "_FILE") {
			files = append(files, val)
		}
	}
	slices.Sort(files)
	return env, slices.Compact(files)
}

// ClientEnv is the configuration of the harness's own Kafka clients: the bootstrap list
// and, with an external cluster, its security settings.
func (e *Env) ClientEnv() map[string]string {
	m := maps.Clone(e.security)
	if m == nil {
		m = map[string]string{}
	}
	m["KAFKA_BROKERS"] = e.Brokers
	return m
}

// withSecurity adds the security settings to a container's environment (they win over
// the target's own) and mounts the files they name read-only at the same path.
func (e *Env) withSecurity(env map[string]string) (map[string]string, func(*testcontainers.ContainerRequest)) {
	if len(e.security) == 0 {
		return env, nil
	}
	out := maps.Clone(env)
	maps.Copy(out, e.security)
	files := e.secFiles
	return out, func(r *testcontainers.ContainerRequest) {
		prev := r.HostConfigModifier
		r.HostConfigModifier = func(h *container.HostConfig) {
			if prev != nil {
				prev(h)
			}
			for _, f := range files {
				h.Binds = append(h.Binds, f+":"+f+":ro")
			}
		}
	}
}
