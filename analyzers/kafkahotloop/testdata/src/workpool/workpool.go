// Package workpool reaches no Kafka library: the analyzer only summarises which of its
// functions start goroutines (kafkareach's fast path), and calls of those in a poll loop
// are still reported.
package workpool

// Go hands fn to a new goroutine.
func Go(fn func()) { // want Go:"spawns"
	go fn()
}

// Later starts the goroutine inside a closure: still spawns.
func Later() func(func()) { // want Later:"spawns"
	return func(fn func()) { go fn() }
}

// Run calls fn on the caller's goroutine.
func Run(fn func()) { fn() }
