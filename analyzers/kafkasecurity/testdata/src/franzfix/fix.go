package franzfix

import (
	"github.com/twmb/franz-go/pkg/kgo"

	"secprov"
)

func a() {
	kgo.NewClient(kgo.SeedBrokers("b")) // want `without the security config`
}

func b() {
	opts := []kgo.Opt{kgo.ClientID("x")}
	kgo.NewClient(opts...) // want `without the security config`
}

func c() {
	kgo.NewClient() // want `without the security config`
}

var _ = secprov.Plain
