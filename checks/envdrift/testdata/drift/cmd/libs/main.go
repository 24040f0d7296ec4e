package main

import (
	"context"
	"strings"

	env "github.com/caarlos0/env/v11"
	"github.com/kelseyhightower/envconfig"
	senv "github.com/sethvargo/go-envconfig"
	"github.com/spf13/viper"
	"github.com/urfave/cli/v2"
)

type appConfig struct {
	Brokers string `env:"BROKERS"`
	HTTP    struct {
		Port int `env:"PORT"`
	} `envPrefix:"HTTP_"`
	Untagged string
}

type kSpec struct {
	Debug      bool
	MaxRetries int    `split_words:"true"`
	User       string `envconfig:"db_user"`
	Ignored    string `ignored:"true"`
}

type sConfig struct {
	Host string `env:"HOST,required"`
	DB   struct {
		Name string `env:"NAME"`
	} `env:",prefix=DB_"`
}

func main() {
	var cfg appConfig
	_ = env.ParseWithOptions(&cfg, env.Options{Prefix: "APP_"})
	var ks kSpec
	_ = envconfig.Process("myapp", &ks)
	var sc sConfig
	_ = senv.ProcessWith(context.Background(), &senv.Config{Target: &sc, Lookuper: senv.PrefixLookuper("SVC_", senv.OsLookuper())})
	viper.SetEnvPrefix("vp")
	viper.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	viper.AutomaticEnv()
	_ = viper.GetString("db.host")
	_ = viper.BindEnv("token", "VIPER_TOKEN")
	_ = &cli.StringFlag{Name: "brokers", EnvVars: []string{"CLI_BROKERS"}}
}
