// Package cobra is a minimal stub of github.com/spf13/cobra for analyzer tests.
package cobra

import "github.com/spf13/pflag"

type Command struct {
	Use  string
	RunE func(cmd *Command, args []string) error
}

func (*Command) Flags() *pflag.FlagSet           { return &pflag.FlagSet{} }
func (*Command) PersistentFlags() *pflag.FlagSet { return &pflag.FlagSet{} }
func (*Command) AddCommand(cs ...*Command)       {}
