package main

import (
	"strings"

	"github.com/spf13/viper"
)

func main() {
	// Burrow's shape: the env prefix comes from the configuration itself, so the names
	// AutomaticEnv reads are not known (GENERAL_PIDFILE would be wrong: BURROW_GENERAL_PIDFILE
	// is read).
	viper.SetDefault("general.env-var-prefix", "burrow")
	envPrefix := viper.GetString("general.env-var-prefix")
	viper.SetEnvPrefix(envPrefix)
	viper.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
	viper.AutomaticEnv()
	_ = viper.GetString("general.pidfile")

	// A prefix held in a local assigned once resolves.
	v := viper.New()
	p := "vapp"
	v.SetEnvPrefix(p)
	v.AutomaticEnv()
	_ = v.GetString("port")
}
