// Package env is a stub of koanf's env provider v2 (the signatures verify recognises).
package env

// Opt configures the provider.
type Opt struct {
	Prefix        string
	TransformFunc func(k, v string) (string, any)
}

// Env is the provider.
type Env struct{}

// Provider reads the variables that start with o.Prefix.
func Provider(delim string, o Opt) *Env { return &Env{} }
