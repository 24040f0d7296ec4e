// Package ff is a signature stub of github.com/peterbourgon/ff/v3.
package ff

import "flag"

type Option func()

func Parse(fs *flag.FlagSet, args []string, options ...Option) error { return nil }
func WithEnvVarPrefix(p string) Option                               { return nil }
func WithEnvVars() Option                                            { return nil }
