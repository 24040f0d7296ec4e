// Package replay is another command of the multicli binary.
package replay // want package:"kafkaflags\\(replay:brokers\\)"

import (
	"flag"
	"os"
)

// Run parses the replay command's flags.
func Run(args []string) {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.String("brokers", os.Getenv("KAFKA_BROKERS"), "brokers")
	fs.Parse(args)
}
