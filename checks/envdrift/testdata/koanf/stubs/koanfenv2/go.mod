module github.com/knadh/koanf/providers/env/v2

go 1.26
