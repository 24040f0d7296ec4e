// Package envconfig is a signature stub of github.com/sethvargo/go-envconfig.
package envconfig

import "context"

type Lookuper interface {
	Lookup(key string) (string, bool)
}

type osLookuper struct{}

func (osLookuper) Lookup(key string) (string, bool) { return "", false }

func OsLookuper() Lookuper                         { return osLookuper{} }
func PrefixLookuper(p string, l Lookuper) Lookuper { return l }

type Config struct {
	Target   any
	Lookuper Lookuper
}

func Process(ctx context.Context, i any) error         { return nil }
func ProcessWith(ctx context.Context, c *Config) error { return nil }
