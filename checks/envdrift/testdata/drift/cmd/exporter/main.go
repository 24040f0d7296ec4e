package main

import (
	"example.com/drift/internal/conf"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	_, _ = kgo.NewClient(
		kgo.SeedBrokers(conf.EnvOr("KAFKA_BROKERS", "localhost:9092")),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	_ = conf.Topic()
	_, _ = conf.Security()
}
