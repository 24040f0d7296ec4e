package main

import (
	"os"
	"strings"

	"github.com/knadh/koanf/providers/env"
	envv2 "github.com/knadh/koanf/providers/env/v2"
)

func main() {
	// A key held in a local variable assigned once (kminion's config.go does this).
	envKey := "CONFIG_FILEPATH"
	_ = os.Getenv(envKey)
	var logKey = "LOG_" + "LEVEL"
	_, _ = os.LookupEnv(logKey)

	// Assigned twice: which key is read cannot be told statically.
	changed := "FIRST_KEY"
	if len(os.Args) > 1 {
		changed = "SECOND_KEY"
	}
	_ = os.Getenv(changed)

	// Every variable that starts with KAPP_ or KAPP2_.
	_ = env.Provider("KAPP_", ".", func(s string) string { return strings.ToLower(s) })
	_ = envv2.Provider(".", envv2.Opt{Prefix: "KAPP2_"})
}
