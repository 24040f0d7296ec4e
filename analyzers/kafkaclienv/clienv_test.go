package kafkaclienv_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/streamaudit/streamaudit/analyzers/kafkaclienv"
)

func TestCLIEnv(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), kafkaclienv.Analyzer, "stdcli", "cobracli", "service", "multicli/cmd")
}
