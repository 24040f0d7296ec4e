package kafkainsecure_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/streamaudit/streamaudit/analyzers/kafkainsecure"
)

func TestInsecure(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), kafkainsecure.Analyzer, "insecure")
}
