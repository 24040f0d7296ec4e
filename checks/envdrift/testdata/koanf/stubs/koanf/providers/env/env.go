// Package env is a stub of koanf v1's env provider (the signatures verify recognises).
package env

// Env is the provider.
type Env struct{}

// Provider reads the variables that start with prefix.
func Provider(prefix, delim string, cb func(s string) string) *Env { return &Env{} }

// ProviderWithValue is Provider with a callback that sees the value too.
func ProviderWithValue(prefix, delim string, cb func(key string, value string) (string, interface{})) *Env {
	return &Env{}
}
