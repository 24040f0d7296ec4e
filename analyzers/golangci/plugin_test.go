package golangci_test

import (
	"strings"
	"testing"

	"github.com/golangci/plugin-module-register/register"

	_ "github.com/streamaudit/streamaudit/analyzers/golangci"
)

func TestPluginSettings(t *testing.T) {
	newPlugin, err := register.GetPlugin("streamaudit")
	if err != nil {
		t.Fatal(err)
	}
	// golangci-lint passes settings decoded from YAML as map[string]any.
	p, err := newPlugin(map[string]any{
		"providers": []any{"example.com/kcfg.SecurityOpts"},
		"disable":   []any{"kafka-cli-env"},
	})
	if err != nil {
		t.Fatal(err)
	}
	as, err := p.BuildAnalyzers()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range as {
		names = append(names, a.Name)
	}
	got := strings.Join(names, ",")
	if got != "kafkasecurity,kafkainsecure,kafkahotloop,kafkadlqcommit" {
		t.Errorf("analyzers = %s, want every analyzer but kafkaclienv", got)
	}
	if v := as[0].Flags.Lookup("providers").Value.String(); v != "example.com/kcfg.SecurityOpts" {
		t.Errorf("kafkasecurity providers = %q", v)
	}
	if p.GetLoadMode() != register.LoadModeTypesInfo {
		t.Errorf("load mode %q", p.GetLoadMode())
	}
}

func TestPluginRejectsBadSettings(t *testing.T) {
	newPlugin, _ := register.GetPlugin("streamaudit")
	for name, raw := range map[string]any{
		"unknown key":  map[string]any{"provider": "x"},
		"unknown rule": map[string]any{"disable": []any{"kafka-everything"}},
		"wrong type":   map[string]any{"providers": "x"},
	} {
		if _, err := newPlugin(raw); err == nil {
			t.Errorf("%s: settings %v accepted", name, raw)
		}
	}
}
