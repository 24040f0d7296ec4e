package kafkadlqcommit_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/streamaudit/streamaudit/analyzers/kafkadlqcommit"
)

func TestDLQCommit(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), kafkadlqcommit.Analyzer, "dlq", "commitvia")
}
