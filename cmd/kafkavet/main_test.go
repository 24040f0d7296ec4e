package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const app = `package main

import "github.com/twmb/franz-go/pkg/kgo"

func main() {
	cl, _ := kgo.NewClient(kgo.SeedBrokers("localhost:9092"))
	defer cl.Close()
	//streamaudit:ignore kafka-security local smoke client
	quiet, _ := kgo.NewClient(kgo.SeedBrokers("localhost:9092"))
	defer quiet.Close()
}
`

// TestDrivers builds kafkavet and runs it standalone and as go vet's -vettool over a
// module that builds one insecure and one suppressed client.
func TestDrivers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds kafkavet and type-checks franz-go from source")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "kafkavet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	mod := filepath.Join(dir, "mod")
	sum, err := os.ReadFile("../../go.sum")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod":  "module example.com/app\n\ngo 1.26\n\nrequire (\n\tgithub.com/twmb/franz-go v1.22.3\n\tgithub.com/twmb/franz-go/pkg/kmsg v1.15.1\n)\n",
		"go.sum":  string(sum),
		"main.go": app,
	}
	for name, body := range files {
		if err := os.MkdirAll(mod, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mod, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	for name, args := range map[string][]string{
		"standalone": {bin, "./..."},
		"go vet":     {"go", "vet", "-vettool=" + bin, "./..."},
	} {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = mod
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("%s: exit status 0, want findings\n%s", name, out)
		}
		text := string(out)
		if !strings.Contains(text, "main.go:6:") || !strings.Contains(text, "without the security config") {
			t.Errorf("%s: no kafka-security finding at main.go:6\n%s", name, text)
		}
		if strings.Contains(text, "main.go:9:") {
			t.Errorf("%s: the suppressed client at main.go:9 was reported\n%s", name, text)
		}
	}
}
