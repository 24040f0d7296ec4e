module github.com/caarlos0/env/v11

go 1.26
