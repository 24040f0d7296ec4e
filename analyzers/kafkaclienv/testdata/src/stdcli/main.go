package main

import (
	"flag"
	"os"

	"github.com/twmb/franz-go/pkg/kgo"
)

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func tail(args []string) {
	fs := flag.NewFlagSet("tail", flag.ContinueOnError)
	brokers := fs.String("brokers", "localhost:9092", "brokers") // want `flag --brokers of command tail does not bind KAFKA_BROKERS \(command replay binds it\)`
	topic := fs.String("topic", "dashstream", "topic")           // want `flag --topic of command tail does not bind KAFKA_TOPIC`
	fs.Parse(args)
	kgo.NewClient(kgo.SeedBrokers(*brokers), kgo.ConsumeTopics(*topic), kgo.ConsumerGroup("ops-cli")) // want `hard-coded consumer group "ops-cli"`
}

func replay(args []string) {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	brokers := fs.String("brokers", envOr("KAFKA_BROKERS", "localhost:9092"), "brokers")
	topic := fs.String("topic", envOr("KAFKA_TOPIC", "dashstream-quality"), "topic") // want `flag --topic of command replay defaults to "dashstream-quality" but command tail defaults to "dashstream"`
	group := fs.String("group", "", "group")
	fs.Parse(args)
	kgo.NewClient(kgo.SeedBrokers(*brokers), kgo.ConsumeTopics(*topic), kgo.ConsumerGroup(*group))
}

func inspect(args []string) {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	var brokers, topic string
	fs.StringVar(&brokers, "brokers", "localhost:9092", "brokers")
	fs.StringVar(&topic, "topic", "dashstream", "topic")
	fs.Parse(args)
	if v := os.Getenv("KAFKA_BROKERS"); v != "" {
		brokers = v
	}
	if v := os.Getenv("KAFKA_TOPIC"); v != "" {
		topic = v
	}
	group := fs.String("group-id", "inspector", "group") // want `flag --group-id of command inspect defaults to "inspector" but command replay defaults to ""` `flag --group-id of command inspect has the hard-coded default group "inspector"`
	_ = group
}

func main() {
	switch os.Args[1] {
	case "tail":
		tail(os.Args[2:])
	case "replay":
		replay(os.Args[2:])
	case "inspect":
		inspect(os.Args[2:])
	}
}
