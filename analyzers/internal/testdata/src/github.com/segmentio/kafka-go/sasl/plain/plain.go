// Package plain is a minimal stub of kafka-go's sasl/plain for analyzer tests.
package plain

type Mechanism struct{ Username, Password string }

func (Mechanism) Name() string { return "PLAIN" }
