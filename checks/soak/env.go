package soak

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
)

// ErrNoEngine is returned when no Docker engine answers; callers skip with its message.
var ErrNoEngine = errors.New("no Docker engine answers")

// brokerAlias is the broker's name on the soak network; brokerPort its Kafka port.
const (
	brokerAlias   = "broker"
	brokerPort    = "9092/tcp"
	controlPort   = "9644/tcp"
	imageRepo     = "streamaudit-soak"
	buildTimeout  = 5 * time.Minute
	startTimeout  = 90 * time.Second
	stopTimeout   = 10 * time.Second
	statsTimeout  = 5 * time.Second
	defaultMemory = 256 << 20
)

// Env is one soak environment: a Docker network, the images, and the broker (unless an
// external cluster is used).
type Env struct {
	root   string
	log    io.Writer
	docker *testcontainers.DockerClient
	net    *testcontainers.DockerNetwork
	images map[string]string // target or component name -> image tag
	broker testcontainers.Container
	// brokerDir is the host directory bind-mounted as the broker's data directory ("" when
	// the broker keeps its data in RAM).
	brokerDir string
	// Brokers is the bootstrap list as members see it.
	Brokers string
	// mu guards hostKafka and controlURL, which change when the broker restarts.
	mu sync.Mutex
	// hostKafka is the broker address the harness dials from the host ("" when external).
	hostKafka string
	// controlURL is the broker's fault control API from the host ("" when external).
	controlURL string
	external   bool
	// security holds the Kafka security settings for an external cluster (from the
	// harness's environment) and secFiles the files they name; both empty otherwise.
	security map[string]string
	secFiles []string
}

// ControlURL returns the broker's fault control API as the host reaches it ("" with an
// external cluster); it changes when the broker restarts.
func (e *Env) ControlURL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.controlURL
}

// External reports whether the soak runs against an external cluster (SOAK_BROKERS).
func (e *Env) External() bool { return e.external }

// NewEnv checks the engine, builds the images the run needs and creates a network.
func NewEnv(ctx context.Context, root string, log io.Writer, targetNames []string, external string) (*Env, error) {
	PrepareEnv()
	if err := engineHealthy(ctx); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoEngine, err)
	}
	dc, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoEngine, err)
	}
	e := &Env{root: root, log: log, docker: dc, images: map[string]string{}, Brokers: external, external: external != ""}
	if e.external {
		e.security, e.secFiles = securityEnv(os.LookupEnv)
	}
	for _, name := range targetNames {
		t, err := LookupTarget(name)
		if err != nil {
			return nil, err
		}
		if e.images[name], err = e.buildImage(ctx, name, build{t.ModuleDir, t.Package, t.Binary, t.Dockerfile}); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{"loadgen", "testbroker"} {
		if name == "testbroker" && e.external {
			continue
		}
		if e.images[name], err = e.buildImage(ctx, name, components[name]); err != nil {
			return nil, err
		}
	}
	if e.net, err = network.New(ctx); err != nil {
		return nil, fmt.Errorf("create soak network: %w", err)
	}
	return e, nil
}

// PrepareEnv sets the testcontainers environment the soak needs before any testcontainers
// call reads it: no Ryuk (its image cannot be pulled without a registry) and, for a local
// engine, 127.0.0.1 as the host of mapped ports (testcontainers otherwise guesses the
// default gateway when it believes it runs inside a container, which it cannot reach here).
func PrepareEnv() {
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	dh := os.Getenv("DOCKER_HOST")
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" && (dh == "" || strings.HasPrefix(dh, "unix://")) {
		os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
}

func engineHealthy(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("docker provider: %v", r)
		}
	}()
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return err
	}
	defer p.Close()
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return p.Health(hctx)
}

// build says how to make one image: a static binary of Package (built in ModuleDir,
// relative to the root) named Binary, copied by Dockerfile (relative to the root).
type build struct {
	ModuleDir, Package, Binary, Dockerfile string
}

// components are the images besides the targets: the load generator (`streamsvc
// produce`) and the test broker.
var components = map[string]build{
	"loadgen":    {".", "./cmd/streamsvc", "streamsvc", "deploy/docker/streamsvc.Dockerfile"},
	"testbroker": {".", "./cmd/testbroker", "testbroker", "deploy/docker/testbroker.Dockerfile"},
}

// buildImage compiles a static binary into a fresh build context, copies the Dockerfile
// beside it and builds the image with testcontainers (FROM scratch, nothing is pulled).
func (e *Env) buildImage(ctx context.Context, name string, b build) (string, error) {
	moduleDir, pkg, binary, dockerfile := b.ModuleDir, b.Package, b.Binary, b.Dockerfile
	dir, err := os.MkdirTemp("", "soak-build-"+name+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	bctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(bctx, "go", "build", "-trimpath", "-o", filepath.Join(dir, binary), pkg)
	cmd.Dir = filepath.Join(e.root, moduleDir)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s (%s in %s): %v\n%s", name, pkg, moduleDir, err, out)
	}
	if !filepath.IsAbs(dockerfile) {
		dockerfile = filepath.Join(e.root, dockerfile)
	}
	df, err := os.ReadFile(dockerfile)
	if err != nil {
		return "", fmt.Errorf("image %s: %w", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), df, 0o644); err != nil {
		return "", err
	}
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return "", err
	}
	defer p.Close()
	tag, err := p.BuildImage(bctx, &testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context: dir, Dockerfile: "Dockerfile", Repo: imageRepo + "-" + name, Tag: "dev", KeepImage: true,
	}})
	if err != nil {
		return "", fmt.Errorf("docker build %s from %s: %w", name, dockerfile, err)
	}
	fmt.Fprintf(e.log, "soak: built image %s from %s\n", tag, dockerfile)
	return tag, nil
}

// BrokerSpec configures the test broker container.
type BrokerSpec struct {
	Topic      string
	Partitions int
	DLQTopic   string
	Memory     int64
	// Persist gives the broker a data directory (a host temp dir bind-mounted at /data) so
	// records, topics and committed offsets survive RestartBroker. Its retention is then
	// 1 GiB per partition on disk instead of 8 MiB in RAM, so accounting scenarios can read
	// every produced record back.
	Persist bool
}

// brokerDataDir is the data directory inside the broker container.
const brokerDataDir = "/data"

// scratchUser is the user the FROM-scratch images run as (deploy/docker/*.Dockerfile).
const scratchUser = 65534

// StartBroker starts cmd/testbroker on the network (no-op with an external cluster).
func (e *Env) StartBroker(ctx context.Context, s BrokerSpec) error {
	if e.external {
		return nil
	}
	retention := "8388608" // RAM: keep the broker bounded
	args := []string{
		"-listen", "0.0.0.0", "-advertise", brokerAlias, "-ports", "9092",
		"-topic", fmt.Sprintf("%s:%d", s.Topic, s.Partitions), "-topic", s.DLQTopic + ":1",
		"-segment-bytes", "1048576", "-cleaner-backoff", "2s",
		"-control", "0.0.0.0:9644",
	}
	var mount func(*testcontainers.ContainerRequest)
	if s.Persist {
		dir, user, err := brokerDir()
		if err != nil {
			return err
		}
		e.brokerDir = dir
		retention = strconv.Itoa(1 << 30) // on disk
		args = append(args, "-data-dir", brokerDataDir)
		mount = func(r *testcontainers.ContainerRequest) {
			prev := r.HostConfigModifier
			r.HostConfigModifier = func(h *container.HostConfig) {
				prev(h)
				h.Binds = append(h.Binds, dir+":"+brokerDataDir)
			}
			if user != "" {
				r.ConfigModifier = func(c *container.Config) { c.User = user }
			}
		}
	}
	args = append(args, "-retention-bytes", retention)
	c, err := e.start(ctx, "broker", e.images["testbroker"], args, map[string]string{"GOMEMLIMIT": "400MiB"},
		[]string{brokerPort, controlPort}, s.Memory, wait.ForHTTP("/state").WithPort(controlPort).WithForcedIPv4LocalHost().WithStartupTimeout(startTimeout), brokerAlias, mount)
	if err != nil {
		e.removeBrokerDir()
		return fmt.Errorf("start test broker: %w", err)
	}
	e.broker = c
	e.Brokers = brokerAlias + ":9092"
	return e.readBrokerPorts(ctx)
}

// brokerDir makes the host directory mounted as the broker's data directory and returns
// the container user that can write it: as root, the directory is handed to the image's
// user (65534); otherwise the container runs as the caller, so the caller can remove what
// the broker wrote.
func brokerDir() (dir, user string, err error) {
	dir, err = os.MkdirTemp("", "soak-broker-data-")
	if err != nil {
		return "", "", fmt.Errorf("broker data directory: %w", err)
	}
	if os.Getuid() == 0 {
		if err := os.Chown(dir, scratchUser, scratchUser); err != nil {
			os.RemoveAll(dir)
			return "", "", fmt.Errorf("broker data directory %s: %w", dir, err)
		}
		return dir, "", nil
	}
	return dir, fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()), nil
}

func (e *Env) removeBrokerDir() {
	if e.brokerDir != "" {
		os.RemoveAll(e.brokerDir)
		e.brokerDir = ""
	}
}

// readBrokerPorts reads the host ports Docker mapped to the broker (new ones after each
// start).
func (e *Env) readBrokerPorts(ctx context.Context) error {
	kp, err := e.broker.MappedPort(ctx, brokerPort)
	if err != nil {
		return fmt.Errorf("broker port: %w", err)
	}
	cp, err := e.broker.MappedPort(ctx, controlPort)
	if err != nil {
		return fmt.Errorf("broker control port: %w", err)
	}
	e.mu.Lock()
	e.hostKafka, e.controlURL = "127.0.0.1:"+kp.Port(), "http://127.0.0.1:"+cp.Port()
	e.mu.Unlock()
	return nil
}

// StopBroker removes the broker and its data so the next scenario starts with an empty one.
func (e *Env) StopBroker() {
	if e.broker != nil {
		testcontainers.TerminateContainer(e.broker)
		e.broker = nil
	}
	e.removeBrokerDir()
}

// StopBrokerFor stops the broker container (SIGTERM, then SIGKILL after grace); a zero
// grace is a crash: SIGKILL at once, no chance to save state. The container keeps its name on the network; StartBrokerAgain
// starts it again.
func (e *Env) StopBrokerFor(ctx context.Context, grace time.Duration) error {
	if e.broker == nil {
		return errors.New("stop broker: no broker container (external cluster)")
	}
	if grace > 0 {
		if err := e.broker.Stop(ctx, &grace); err != nil {
			return fmt.Errorf("stop broker: %w", err)
		}
		return nil
	}
	// A crash: SIGKILL only (docker stop -t 0 would send SIGTERM first).
	if _, err := e.docker.ContainerKill(ctx, e.broker.GetContainerID(), client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		return fmt.Errorf("kill broker: %w", err)
	}
	for deadline := time.Now().Add(stopTimeout); ; {
		st, err := e.broker.State(ctx)
		if err != nil {
			return fmt.Errorf("broker state after kill: %w", err)
		}
		if !st.Running {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("broker still running %s after SIGKILL", stopTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// StartBrokerAgain starts the stopped broker container and waits until its control API
// answers. Members reach it under the same name and port (broker:9092); the host-side
// ports change and are read again. With BrokerSpec.Persist it restores its data directory.
func (e *Env) StartBrokerAgain(ctx context.Context) error {
	if e.broker == nil {
		return errors.New("start broker: no broker container (external cluster)")
	}
	if err := e.broker.Start(ctx); err != nil {
		return fmt.Errorf("start broker again: %w\n%s", err, tailLogs(ctx, e.broker))
	}
	return e.readBrokerPorts(ctx)
}

// Dial maps the advertised broker name to the host-side port (kgo.Dialer).
func (e *Env) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	e.mu.Lock()
	hostKafka := e.hostKafka
	e.mu.Unlock()
	if hostKafka != "" && strings.HasPrefix(addr, brokerAlias+":") {
		addr = hostKafka
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// Member is one running consumer-group member.
type Member struct {
	Name       string
	IP         string // on the soak network; the group coordinator reports it as client host
	MetricsURL string
	ReadyURL   string
	HostPort   string // host:port of the mapped HTTP port (Prometheus target)
	c          testcontainers.Container
	stopping   atomic.Bool // set before a deliberate stop: not a death to report
}

// StartMember starts one member of target's consumer group.
func (e *Env) StartMember(ctx context.Context, t Target, name, topic, dlqTopic, group string, memory int64) (*Member, error) {
	env, mount := e.withSecurity(t.Env(e.Brokers, topic, dlqTopic, group))
	c, err := e.start(ctx, t.Name+"-"+name, e.images[t.Name], t.Cmd, env, []string{t.HTTPPort}, memory,
		wait.ForHTTP(t.ReadyPath).WithPort(t.HTTPPort).WithForcedIPv4LocalHost().WithStartupTimeout(startTimeout), name, mount)
	if err != nil {
		return nil, fmt.Errorf("start %s member %s: %w", t.Name, name, err)
	}
	m := &Member{Name: name, c: c}
	if m.IP, err = c.ContainerIP(ctx); err != nil {
		return nil, err
	}
	p, err := c.MappedPort(ctx, t.HTTPPort)
	if err != nil {
		return nil, err
	}
	m.HostPort = "127.0.0.1:" + p.Port()
	m.MetricsURL = "http://" + m.HostPort + t.MetricsPath
	m.ReadyURL = "http://" + m.HostPort + t.ReadyPath
	return m, nil
}

// Stop stops and removes a member (it leaves the group on SIGTERM).
func (m *Member) Stop(ctx context.Context) error {
	d := stopTimeout
	return testcontainers.TerminateContainer(m.c, testcontainers.StopTimeout(d))
}

// Memory returns the member's resident memory from the container's cgroup (rss on
// cgroup v1, anon on v2) and whether the kernel OOM-killed it.
func (e *Env) Memory(ctx context.Context, m *Member) (rss float64, err error) {
	sctx, cancel := context.WithTimeout(ctx, statsTimeout)
	defer cancel()
	res, err := e.docker.ContainerStats(sctx, m.c.GetContainerID(), client.ContainerStatsOptions{})
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var s container.StatsResponse
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
		return 0, fmt.Errorf("container stats %s: %w", m.Name, err)
	}
	st := s.MemoryStats.Stats
	for _, k := range []string{"total_rss", "rss", "anon"} {
		if v, ok := st[k]; ok {
			return float64(v), nil
		}
	}
	return float64(s.MemoryStats.Usage - st["total_inactive_file"]), nil
}

// State reports whether the member's container still runs and whether it was OOM-killed.
func (m *Member) State(ctx context.Context) (running, oomKilled bool, err error) {
	st, err := m.c.State(ctx)
	if err != nil {
		return false, false, err
	}
	return st.Running, st.OOMKilled, nil
}

// Logs returns the tail of the member's logs (for error messages).
func (m *Member) Logs(ctx context.Context) string { return tailLogs(ctx, m.c) }

func tailLogs(ctx context.Context, c testcontainers.Container) string {
	rc, err := c.Logs(ctx)
	if err != nil {
		return "(logs: " + err.Error() + ")"
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// RunOnce runs a container to completion (the load generator) and returns its exit code
// and log tail.
func (e *Env) RunOnce(ctx context.Context, image string, name string, cmd []string, env map[string]string) (int, string, error) {
	env, mount := e.withSecurity(env)
	req := testcontainers.ContainerRequest{
		Image: image, Cmd: cmd, Env: env, Networks: []string{e.net.Name},
		HostConfigModifier: func(h *container.HostConfig) { h.Resources.Memory = defaultMemory },
		WaitingFor:         wait.ForExit().WithExitTimeout(24 * time.Hour),
	}
	if mount != nil {
		mount(&req)
	}
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{ContainerRequest: req, Started: true})
	if err != nil {
		return -1, "", fmt.Errorf("run %s: %w", name, err)
	}
	defer testcontainers.TerminateContainer(c)
	st, err := c.State(ctx)
	if err != nil {
		return -1, "", err
	}
	return st.ExitCode, tailLogs(ctx, c), nil
}

// Image returns the built image of a target or component.
func (e *Env) Image(name string) string { return e.images[name] }

// start runs a container on the soak network; modify, when not nil, adjusts the request
// (mounts, user) last.
func (e *Env) start(ctx context.Context, name, image string, cmd []string, env map[string]string, ports []string, memory int64, w wait.Strategy, alias string, modify func(*testcontainers.ContainerRequest)) (testcontainers.Container, error) {
	if memory <= 0 {
		memory = defaultMemory
	}
	req := testcontainers.ContainerRequest{
		Image: image, Cmd: cmd, Env: env, ExposedPorts: ports, WaitingFor: w,
		Networks: []string{e.net.Name}, NetworkAliases: map[string][]string{e.net.Name: {alias}},
		HostConfigModifier: func(h *container.HostConfig) {
			h.Resources.Memory = memory
			h.Resources.MemorySwap = memory // no swap: the limit is the limit
		},
	}
	if modify != nil {
		modify(&req)
	}
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{ContainerRequest: req, Started: true})
	if err != nil {
		if c != nil {
			err = fmt.Errorf("%w\n%s", err, tailLogs(ctx, c))
			testcontainers.TerminateContainer(c)
		}
		return nil, err
	}
	return c, nil
}

// Close removes the broker and the network (members are stopped by their scenario).
func (e *Env) Close(ctx context.Context) {
	e.StopBroker()
	if e.net != nil {
		e.net.Remove(ctx)
	}
	if e.docker != nil {
		e.docker.Close()
	}
}
