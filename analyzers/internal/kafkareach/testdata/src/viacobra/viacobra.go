package viacobra // want package:"kafkareach\\(kafka,flags\\)"

// This package reaches pflag through cobra, and franz-go through indirect.
import (
	"indirect"

	"github.com/spf13/cobra"
)

var Cmd = &cobra.Command{Use: "run", RunE: func(*cobra.Command, []string) error { return indirect.Start() }}
