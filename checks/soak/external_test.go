//go:build soak

package soak

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamaudit/streamaudit/internal/testbroker"
)

// hostAddrForContainers returns an address of this machine that containers on a Docker
// bridge network reach: the docker0 bridge's IPv4 address.
func hostAddrForContainers(t *testing.T) string {
	t.Helper()
	ifc, err := net.InterfaceByName("docker0")
	if err != nil {
		t.Skipf("soak: no docker0 bridge to reach a broker on this host from containers: %v", err)
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		t.Skipf("soak: docker0 addresses: %v", err)
	}
	for _, a := range addrs {
		if ip, ok := a.(*net.IPNet); ok && ip.IP.To4() != nil {
			return ip.IP.String()
		}
	}
	t.Skip("soak: docker0 has no IPv4 address")
	return ""
}

// SOAK_BROKERS: the harness runs a scenario against a cluster it did not start (a SASL
// SCRAM test broker in this process, reached from the containers through the docker0
// bridge), passes the security settings of its environment to the members and the load
// generator (the password through a mounted KAFKA_SASL_PASSWORD_FILE), creates its own
// topics there, starts no broker of its own, and produces its verdict and figures.
func TestExternalBrokers(t *testing.T) {
	PrepareEnv()
	testcontainers.SkipIfProviderIsNotHealthy(t)
	host := hostAddrForContainers(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b, err := testbroker.Start(ctx, testbroker.Options{Listen: host, Advertise: host, // the bridge address only, not every interface
		SASL:  true,
		Users: []testbroker.User{{Mechanism: testbroker.MechScramSHA256, Name: "soak", Password: "external-secret"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var mu sync.Mutex
	created, committed := map[string]bool{}, map[string]bool{}
	b.Cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.CreateTopics, kmsg.OffsetCommit}, Count: -1, Observe: true,
		When: func(r kmsg.Request) bool {
			mu.Lock()
			defer mu.Unlock()
			switch req := r.(type) {
			case *kmsg.CreateTopicsRequest:
				for _, tp := range req.Topics {
					created[tp.Topic] = true
				}
			case *kmsg.OffsetCommitRequest:
				committed[req.Group] = true
			}
			return false
		}})

	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil { // the members run as uid 65534
		t.Fatal(err)
	}
	pwFile := filepath.Join(dir, "sasl-password")
	if err := os.WriteFile(pwFile, []byte("external-secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KAFKA_SECURITY_PROTOCOL", "sasl_plaintext")
	t.Setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-256")
	t.Setenv("KAFKA_SASL_USERNAME", "soak")
	t.Setenv("KAFKA_SASL_PASSWORD_FILE", pwFile)

	out := t.TempDir()
	o := Options{Root: filepath.Join("..", ".."), OutDir: out, Brokers: b.Addrs()[0], Targets: []string{"streamsvc"},
		Scenarios: []string{ScenarioThroughput}, Duration: 30 * time.Second, Rate: 5000, Log: testLog{t}}.Defaults()
	results, err := RunAll(ctx, o)
	if errors.Is(err, ErrNoEngine) {
		t.Skipf("soak: %v", err)
	}
	all, werr := WriteOutputs(out, o, results)
	if werr != nil {
		t.Fatal(werr)
	}
	if err != nil {
		t.Fatalf("soak against SOAK_BROKERS=%s: %v", o.Brokers, err)
	}
	if len(results) != 1 {
		t.Fatalf("%d results, want 1", len(results))
	}
	res := results[0]
	if !strings.HasPrefix(res.Broker, "external "+o.Brokers+", topics dashstream-quality-soak-") {
		t.Fatalf("result says it ran against %q, want the external cluster", res.Broker)
	}
	mu.Lock()
	group := "soak-streamsvc-1"
	sawGroup, topics := committed[group], len(created)
	mu.Unlock()
	if !sawGroup || topics != 2 {
		t.Fatalf("the external broker saw commits of %s: %t and %d created topics (want 2): the harness did not use it", group, sawGroup, topics)
	}
	// The member may trail the producer by a few seconds when the scenario ends (the last
	// sample is taken then); most of the load must have gone through the external cluster.
	want := float64(o.Rate) * o.Duration.Seconds()
	if res.Load.ExitCode != 0 || res.Consumed < want/2 {
		t.Fatalf("load exit %d, consumed %.0f of %.0f records through the external cluster", res.Load.ExitCode, res.Consumed, want)
	}
	if len(res.MemoryVerdicts) == 0 || len(res.Plots) == 0 {
		t.Fatalf("no memory verdict or plot: %+v %v", res.MemoryVerdicts, res.Plots)
	}
	for _, v := range res.MemoryVerdicts {
		if !v.Judged {
			t.Errorf("memory %s not judged: %s", v.Metric, v.Reason)
		}
	}
	if len(all) != 0 {
		t.Errorf("streamsvc has findings against the external cluster: %+v", all)
	}
	for _, f := range []string{"report.json", "report.md", "figures.json", res.Plots[0]} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("output %s: %v", f, err)
		}
	}
	if st := b.State(); len(st.Topics) != 0 {
		t.Errorf("the scenario's topics were not deleted from the external cluster: %+v", st.Topics)
	}
}
