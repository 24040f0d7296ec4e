package kafkahotloop_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/streamaudit/streamaudit/analyzers/kafkahotloop"
)

func TestHotLoop(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), kafkahotloop.Analyzer, "hotloop", "workpool")
}
