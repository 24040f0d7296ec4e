// Package plain is a minimal stub of franz-go's sasl/plain for analyzer tests.
package plain

type Auth struct{ User, Pass string }
type mech struct{}

func (mech) Name() string { return "PLAIN" }

func (a Auth) AsMechanism() mech { return mech{} }
