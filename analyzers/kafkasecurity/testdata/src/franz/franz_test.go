package franz

import "github.com/twmb/franz-go/pkg/kgo"

// Tests connect to in-process brokers in plaintext: not reported unless -tests.
func helperForTests() {
	kgo.NewClient(kgo.SeedBrokers("127.0.0.1:9092"))
}
