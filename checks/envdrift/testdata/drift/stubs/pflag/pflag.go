// Package pflag is a signature stub of github.com/spf13/pflag.
package pflag

type ErrorHandling int

const ContinueOnError ErrorHandling = 0

type Value interface{ Set(string) error }

type Flag struct {
	Name  string
	Value Value
}

type FlagSet struct{}

func NewFlagSet(name string, h ErrorHandling) *FlagSet              { return &FlagSet{} }
func (f *FlagSet) StringP(name, short, value, usage string) *string { return &value }
func (f *FlagSet) StringVar(p *string, name, value, usage string)   {}
func (f *FlagSet) VisitAll(fn func(*Flag))                          {}
