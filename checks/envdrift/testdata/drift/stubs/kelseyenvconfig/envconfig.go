// Package envconfig is a signature stub of github.com/kelseyhightower/envconfig.
package envconfig

func Process(prefix string, spec interface{}) error { return nil }
func MustProcess(prefix string, spec interface{})   {}
