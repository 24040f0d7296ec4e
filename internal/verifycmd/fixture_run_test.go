package verifycmd

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/internal/kafkatest"
)

// TestFixtureWebsocketServerRuns builds the audited websocket-server of
// fixtures/dashstream-v7 (the soak target) and runs it against the in-process broker: it
// consumes, dead-letters invalid records and exports websocket_kafka_consumer_lag per
// partition on METRICS_ADDR.
func TestFixtureWebsocketServerRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the fixture binary")
	}
	bin := filepath.Join(t.TempDir(), "websocket-server")
	build := exec.Command("go", "build", "-o", bin, "./cmd/websocket-server")
	build.Dir = fixtureV7
	build.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the fixture: %v\n%s", err, out)
	}
	const topic = "dashstream-quality"
	cluster := kafkatest.New(t, kafkatest.Topic(topic, 3), kafkatest.Topic("dashstream-dlq", 1))
	prod, err := kgo.NewClient(kgo.SeedBrokers(cluster.Addrs...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := 0; i < 300; i++ {
		v := fmt.Sprintf(`{"graph":"g%d","quality":0.9}`, i%7)
		if i%50 == 0 {
			v = "not json"
		}
		if err := prod.ProduceSync(ctx, &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(), "KAFKA_BROKERS="+strings.Join(cluster.Addrs, ","), "KAFKA_TOPIC="+topic,
		"KAFKA_AUTO_OFFSET_RESET=earliest", "METRICS_ADDR="+addr)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()

	// Poll /metrics until every record was consumed and the lag gauge has its partitions.
	var last string
	for ctx.Err() == nil {
		time.Sleep(200 * time.Millisecond)
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			continue
		}
		var b strings.Builder
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			b.WriteString(sc.Text() + "\n")
		}
		resp.Body.Close()
		last = b.String()
		if strings.Contains(last, `websocket_kafka_messages_total{status="ok"} 294`) &&
			strings.Contains(last, `websocket_kafka_messages_total{status="error"} 6`) &&
			strings.Count(last, "websocket_kafka_consumer_lag{") == 3 {
			return
		}
	}
	t.Fatalf("the fixture's websocket-server did not consume all 300 records and export lag for 3 partitions:\n%s\nstderr:\n%s", last, stderr.String())
}
