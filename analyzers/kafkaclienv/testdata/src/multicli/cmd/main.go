package main // want `flag --brokers of command tail does not bind KAFKA_BROKERS \(command replay binds it\).*\(defined at multicli/tail/tail.go:9\)`

import (
	"os"

	"multicli/replay"
	"multicli/tail"
)

func main() {
	if os.Args[1] == "tail" {
		tail.Run(os.Args[2:])
	} else {
		replay.Run(os.Args[2:])
	}
}
