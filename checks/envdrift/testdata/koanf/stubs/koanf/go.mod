module github.com/knadh/koanf

go 1.26
