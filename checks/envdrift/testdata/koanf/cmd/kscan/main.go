package main

import "github.com/knadh/koanf/providers/env"

func main() {
	// No prefix: the whole environment.
	_ = env.ProviderWithValue("", ".", nil)
}
