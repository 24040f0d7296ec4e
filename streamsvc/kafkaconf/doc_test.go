package kafkaconf

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/CONFIGURATION.md from the table")

func TestConfigurationDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "CONFIGURATION.md")
	want := Markdown()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Fatalf("docs/CONFIGURATION.md is stale or missing; regenerate it with:\n\tgo test ./streamsvc/kafkaconf -run TestConfigurationDoc -update\n(or make docs)")
	}
}
