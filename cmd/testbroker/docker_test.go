package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamaudit/streamaudit/internal/testbroker"
)

// dockerAnswers reports whether a Docker engine answers. Without one the image test
// skips, unless STREAMAUDIT_DOCKER_TESTS=1 demands it.
func dockerAnswers(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").CombinedOutput()
	if err == nil {
		return
	}
	if os.Getenv("STREAMAUDIT_DOCKER_TESTS") == "1" {
		t.Fatalf("STREAMAUDIT_DOCKER_TESTS=1 but no Docker engine answers: %v\n%s", err, out)
	}
	t.Skipf("no Docker engine answers (docker version: %v); set STREAMAUDIT_DOCKER_TESTS=1 to make this a failure", err)
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

var (
	buildMu  sync.Mutex
	buildDir string
	built    = map[string]string{}
)

// buildStatic builds ./cmd/name as a static binary (CGO_ENABLED=0, like make build) once
// per test process, each into its own directory (a Docker build context), and returns
// its path.
func buildStatic(t *testing.T, name string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[name]; ok {
		return p
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "testbroker-test-bin-")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = d
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	p := filepath.Join(buildDir, name, name)
	sh(t, ctx, repoRoot(t), []string{"CGO_ENABLED=0", "GOFLAGS=-buildvcs=false"}, "go", "build", "-trimpath", "-o", p, "./cmd/"+name)
	built[name] = p
	return p
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func sh(t *testing.T, ctx context.Context, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestDockerfilesFromScratch checks the Dockerfiles pull nothing: one stage, FROM scratch.
func TestDockerfilesFromScratch(t *testing.T) {
	for _, name := range []string{"testbroker", "streamsvc"} {
		path := filepath.Join(repoRoot(t), "deploy", "docker", name+".Dockerfile")
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var froms []string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if fields := strings.Fields(sc.Text()); len(fields) > 1 && strings.EqualFold(fields[0], "FROM") {
				froms = append(froms, fields[1])
			}
		}
		f.Close()
		if len(froms) != 1 || froms[0] != "scratch" {
			t.Errorf("%s: FROM %v, want exactly FROM scratch (no image can be pulled)", path, froms)
		}
	}
}

// TestImagesBuildAndRun builds both images from static binaries like `make images`, runs
// the broker image on a Docker network and the streamsvc image producing into it, and
// reads the result through the broker's control API.
func TestImagesBuildAndRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Docker images; skipped with -short")
	}
	dockerAnswers(t)
	root := repoRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	suffix := strings.ToLower(rand.Text()[:10])
	images := map[string]string{}
	for _, name := range []string{"testbroker", "streamsvc"} {
		bin := filepath.Dir(buildStatic(t, name))
		tag := "streamaudit-test/" + name + ":" + suffix
		sh(t, ctx, root, nil, "docker", "build", "-q", "-f", filepath.Join("deploy", "docker", name+".Dockerfile"), "-t", tag, bin)
		images[name] = tag
		t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", tag).Run() })
	}
	network := "streamaudit-test-" + suffix
	sh(t, ctx, root, nil, "docker", "network", "create", network)
	t.Cleanup(func() { _ = exec.Command("docker", "network", "rm", network).Run() })

	id := sh(t, ctx, root, nil, "docker", "run", "-d", "--network", network, "--network-alias", "broker",
		"-p", "127.0.0.1::9644", "-e", "GOMEMLIMIT=200MiB", images["testbroker"],
		"-listen", "0.0.0.0", "-advertise", "broker", "-ports", "9092", "-topic", "dashstream-quality:3",
		"-control", "0.0.0.0:9644")
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", id).Run() })
	hostPort := sh(t, ctx, root, nil, "docker", "port", id, "9644/tcp")
	hostPort = strings.Fields(hostPort)[0] // first mapping, e.g. 127.0.0.1:49153
	control := "http://" + hostPort

	state := func() (testbroker.State, error) {
		var s testbroker.State
		resp, err := http.Get(control + "/state")
		if err != nil {
			return s, err
		}
		defer resp.Body.Close()
		return s, json.NewDecoder(resp.Body).Decode(&s)
	}
	for {
		if _, err := state(); err == nil {
			break
		} else if ctx.Err() != nil {
			logs, _ := exec.Command("docker", "logs", id).CombinedOutput()
			t.Fatalf("broker container's control API never answered: %v\n%s", err, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}

	sh(t, ctx, root, nil, "docker", "run", "--rm", "--network", network, images["streamsvc"],
		"produce", "--brokers", "broker:9092", "--topic", "dashstream-quality", "--count", "25")
	s, err := state()
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, tp := range s.Topics {
		if tp.Name == "dashstream-quality" {
			for _, p := range tp.Partitions {
				total += p.HighWatermark
			}
		}
	}
	if total != 25 {
		t.Fatalf("the broker container holds %d records in dashstream-quality after streamsvc produced 25; state: %+v", total, s)
	}
}
