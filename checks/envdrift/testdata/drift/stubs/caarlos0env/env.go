// Package env is a signature stub of github.com/caarlos0/env for offline tests.
package env

type Options struct {
	Prefix                string
	UseFieldNameByDefault bool
}

func Parse(v any) error                          { return nil }
func ParseWithOptions(v any, opts Options) error { return nil }
func ParseAs[T any]() (T, error)                 { var t T; return t, nil }
