// Command kafkavet runs streamaudit's Kafka analyzers (kafka-security, kafka-insecure,
// kafka-hotloop, kafka-cli-env, kafka-dlq-commit) standalone or under go vet:
//
//	kafkavet ./...
//	go vet -vettool=$(which kafkavet) ./...
//	kafkavet -kafkasecurity.providers='example.com/kcfg.SecurityOpts' ./...
//
// Findings suppressed by `//streamaudit:ignore RULE reason` are not reported.
package main

import (
	"golang.org/x/tools/go/analysis/multichecker"

	"github.com/streamaudit/streamaudit/analyzers"
)

func main() {
	multichecker.Main(analyzers.All()...)
}
