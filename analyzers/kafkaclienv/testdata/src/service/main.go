// A long-running service: its own group id is fine.
package main

import "github.com/twmb/franz-go/pkg/kgo"

func main() {
	kgo.NewClient(kgo.ConsumerGroup("quality-aggregator"))
}
