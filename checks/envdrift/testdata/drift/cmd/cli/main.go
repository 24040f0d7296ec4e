package main

import (
	"flag"
	"os"
	"strings"

	"github.com/peterbourgon/ff/v3"
	"github.com/spf13/pflag"
)

func main() {
	fs := flag.NewFlagSet("cli", flag.ExitOnError)
	fs.String("group-id", "", "consumer group")
	var topic string
	fs.StringVar(&topic, "topic", "", "topic")
	fs.VisitAll(func(f *flag.Flag) {
		key := "CLI_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(key); ok {
			_ = f.Value.Set(v)
		}
	})
	ffs := flag.NewFlagSet("ff", flag.ExitOnError)
	ffs.Int("max.batch-size", 1, "batch")
	_ = ff.Parse(ffs, os.Args[1:], ff.WithEnvVarPrefix("ffapp"))
	pf := pflag.NewFlagSet("p", pflag.ContinueOnError)
	pf.StringP("log-level", "l", "info", "log level")
	pf.VisitAll(func(f *pflag.Flag) {
		_ = os.Getenv("PF_" + strings.ToUpper(strings.Replace(f.Name, "-", "_", -1)))
	})
}
