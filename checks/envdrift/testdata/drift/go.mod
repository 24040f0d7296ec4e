module example.com/drift

go 1.26

require (
	github.com/caarlos0/env/v11 v11.0.0
	github.com/kelseyhightower/envconfig v1.4.0
	github.com/peterbourgon/ff/v3 v3.0.0
	github.com/sethvargo/go-envconfig v1.0.0
	github.com/spf13/pflag v1.0.0
	github.com/spf13/viper v1.0.0
	github.com/twmb/franz-go v1.0.0
	github.com/urfave/cli/v2 v2.0.0
)

replace (
	github.com/caarlos0/env/v11 => ./stubs/caarlos0env
	github.com/kelseyhightower/envconfig => ./stubs/kelseyenvconfig
	github.com/peterbourgon/ff/v3 => ./stubs/ff
	github.com/sethvargo/go-envconfig => ./stubs/sethvargoenvconfig
	github.com/spf13/pflag => ./stubs/pflag
	github.com/spf13/viper => ./stubs/viper
	github.com/twmb/franz-go => ./stubs/franzgo
	github.com/urfave/cli/v2 => ./stubs/urfavecli
)
