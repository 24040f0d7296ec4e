package kafkasecurity_test

import (
	"fmt"
	"strings"
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

// TestInventory checks the Result verify's inventory is built from: library, role and
// secured per construction.
func TestInventory(t *testing.T) {
	res := analysistest.Run(t, analysistest.TestData(), kafkasecurity.Analyzer, "roles")
	if len(res) != 1 {
		t.Fatalf("%d results", len(res))
	}
	r, ok := res[0].Result.(*kafkasecurity.Result)
	if !ok {
		t.Fatalf("result %T", res[0].Result)
	}
	var got []string
	for _, c := range r.Clients {
		got = append(got, fmt.Sprintf("%s/%s/%s/%v", c.Func, c.Library, c.Role, c.Secured))
	}
	want := "consumer/franz-go/consumer/true producer/franz-go/producer/true admin/franz-go/admin/true plain/franz-go/client/false"
	if strings.Join(got, " ") != want {
		t.Errorf("clients = %v\nwant %s", got, want)
	}
}
