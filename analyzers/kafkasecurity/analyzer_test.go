package kafkasecurity_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/streamaudit/streamaudit/analyzers/kafkasecurity"
)

// TestLibraries runs every library's suite in one load (the stubs under testdata stand in
// for franz-go, sarama, kafka-go and confluent-kafka-go).
func TestLibraries(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), kafkasecurity.Analyzer, "franz", "sarama", "kafkago", "confluent")
}

func TestFranzSuggestedFix(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), kafkasecurity.Analyzer, "franzfix")
}
