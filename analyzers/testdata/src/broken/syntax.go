package broken

import "github.com/twmb/franz-go/pkg/kgo"

// A syntax error: the parser keeps what it can.
func syntax(opts ...kgo.Opt) { kgo.NewClient(opts..., kgo.ClientID("x")) }
