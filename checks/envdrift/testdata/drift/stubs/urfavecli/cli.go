// Package cli is a signature stub of github.com/urfave/cli/v2.
package cli

type StringFlag struct {
	Name    string
	Value   string
	EnvVars []string
}
