module example.com/koanfapp

go 1.26

require (
	github.com/knadh/koanf v1.5.0
	github.com/knadh/koanf/providers/env/v2 v2.0.0
	github.com/spf13/viper v1.0.0
)

replace (
	github.com/knadh/koanf => ./stubs/koanf
	github.com/knadh/koanf/providers/env/v2 => ./stubs/koanfenv2
	github.com/spf13/viper => ../drift/stubs/viper
)
