// Package pflag is a minimal stub of github.com/spf13/pflag for analyzer tests.
package pflag

type FlagSet struct{}

func (*FlagSet) String(name, value, usage string) *string               { return &value }
func (*FlagSet) StringVar(p *string, name, value, usage string)         {}
func (*FlagSet) StringVarP(p *string, name, short, value, usage string) {}
func (*FlagSet) StringP(name, short, value, usage string) *string       { return &value }
