// Package conf reads the drift fixture's environment through helpers.
package conf

import "os"

// Prefix is the shared prefix of the Kafka variables.
const Prefix = "KAFKA_"

const topicKey = Prefix + "TOPIC"

// EnvOr reads key or returns def.
func EnvOr(key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func getenv(k string) string { return os.Getenv(k) }

// kafka reads KAFKA_<suffix>.
func kafka(suffix string) string { return EnvOr(Prefix+suffix, "") }

// Topic reads KAFKA_TOPIC through a constant.
func Topic() string { return EnvOr(topicKey, "t") }

// Security reads the security settings through a prefixing helper.
func Security() (string, string) { return kafka("SECURITY_PROTOCOL"), kafka("SASL_PASSWORD") }

// FromLookup reads the group through a lookup function and a closure.
func FromLookup(lookup func(string) (string, bool)) string {
	get := func(name string) string {
		v, _ := lookup(name)
		return v
	}
	return get("KAFKA_GROUP_ID")
}

// FromEnv hands os.LookupEnv to FromLookup.
func FromEnv() string { return FromLookup(os.LookupEnv) }

// FromMap hands a map to FromLookup: not an env read.
func FromMap(m map[string]string) string {
	return FromLookup(func(k string) (string, bool) { v, ok := m[k]; return v, ok })
}

// Dump scans the whole environment.
func Dump() int {
	n := 0
	for range os.Environ() {
		n++
	}
	return n
}

// Expand reads through os.ExpandEnv.
func Expand() string { return os.ExpandEnv("${KAFKA_CLIENT_ID}-$HOSTNAME") }

// Sweep reads fixed lists of names in loops.
func Sweep() {
	for _, name := range []string{"KAFKA_SSL_CA_LOCATION", "KAFKA_SSL_KEY_LOCATION"} {
		_ = os.Getenv(name)
	}
	for _, f := range []struct{ name, def string }{{"KAFKA_DLQ_TOPIC", "dlq"}, {name: "KAFKA_DLQ_MODE", def: "x"}} {
		_ = EnvOr(f.name, f.def)
	}
}

// Wrapped hands an anonymous wrapper of os.LookupEnv to FromLookup2.
func Wrapped() string {
	return FromLookup2(func(k string) (string, bool) { return os.LookupEnv(k) })
}

// FromLookup2 reads KAFKA_CLIENT_RACK through its lookup parameter.
func FromLookup2(l func(string) (string, bool)) string {
	v, _ := l("KAFKA_CLIENT_RACK")
	return v
}

// Cfg reads through a method helper.
type Cfg struct{}

func (c *Cfg) env(key string) string { return os.Getenv(key) }

// Get reads through a generic helper.
func Get[T any](key string, conv func(string) T) T { return conv(os.Getenv(key)) }

// Methods reads through the method and the generic helper.
func Methods() string {
	c := &Cfg{}
	return c.env("KAFKA_METHOD_KEY") + Get("KAFKA_GENERIC_KEY", func(s string) string { return s })
}

// Source holds the lookup function in a field.
type Source struct {
	Lookup func(string) (string, bool)
}

// Fields reads through struct fields holding os.LookupEnv.
func Fields() string {
	s := Source{Lookup: os.LookupEnv}
	v, _ := s.Lookup("KAFKA_FIELD_KEY")
	var t Source
	t.Lookup = os.LookupEnv
	w, _ := t.Lookup("KAFKA_FIELD_ASSIGNED")
	return v + w
}
