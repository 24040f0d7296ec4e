package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/internal/kafkatest"
	"github.com/streamaudit/streamaudit/streamsvc/envelope"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
	"github.com/streamaudit/streamaudit/streamsvc/loadgen"
	"github.com/streamaudit/streamaudit/streamsvc/server"
)

type seen struct {
	mu sync.Mutex
	m  map[string]int
}

func (s *seen) add(v []byte) {
	e, err := envelope.Decode(v)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.m[e.ThreadID+"/"+strconv.FormatUint(e.Seq, 10)]++
	s.mu.Unlock()
}

func (s *seen) Publish(_ string, v []byte) { s.add(v) }

func (s *seen) len() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.m) }

// A serve process killed with SIGKILL (no shutdown, no final commit) loses nothing: the
// next run starts at the last commit and redelivers what the dead one handled after it
// (at-least-once); those duplicates are counted here from what clients received.
func TestCrashRedeliversNothingLost(t *testing.T) {
	c := kafkatest.New(t, kafkatest.Topic("dashstream-quality", 3), kafkatest.Topic("dashstream-quality-dlq", 1))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = []string{"STREAMSVC_TEST_CHILD=1", "STREAMSVC_TEST_ARGS=serve --session-timeout 6s", "KAFKA_GROUP_ID=crash",
		"KAFKA_BROKERS=" + strings.Join(c.Addrs, ","), "STREAMSVC_HTTP_ADDR=" + addr}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var conn *websocket.Conn
	for {
		if conn, _, err = websocket.Dial(ctx, "ws://"+addr+"/ws", nil); err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("child never served /ws: %v\n%s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	conn.SetReadLimit(1 << 20)
	a := &seen{m: map[string]int{}}
	go func() {
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				return
			}
			a.add(b)
		}
	}()
	kc, err := kafkaconf.FromMap(c.Env(map[string]string{"KAFKA_GROUP_ID": "crash"}))
	if err != nil {
		t.Fatal(err)
	}
	prod, err := kafkaconf.NewClient(kc, kgo.ProducerBatchMaxBytes(2000))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	// A steady stream, so that the kill lands between commits (every second).
	const total = 600
	var st loadgen.Stats
	genDone := make(chan struct{})
	go func() {
		defer close(genDone)
		st, _ = loadgen.Run(ctx, prod, loadgen.Config{Topic: kc.Topic, Count: total, Rate: 400, Threads: 6})
	}()
	for a.len() < 300 {
		if ctx.Err() != nil {
			t.Fatal("first run never handled 300 records")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	<-genDone
	if st.Produced != total {
		t.Fatalf("produced %d of %d", st.Produced, total)
	}
	adm, err := kafkaconf.NewAdmin(kc)
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	fo, err := adm.FetchOffsets(ctx, "crash")
	if err != nil {
		t.Fatal(err)
	}
	var committed int64
	for _, ps := range fo {
		for _, o := range ps {
			committed += o.At
		}
	}
	// The second run, in process, with the same group.
	b := &seen{m: map[string]int{}}
	svc, err := server.New(kc, server.Options{Tap: b, Listener: mustListen(t)})
	if err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(sctx) }()
	for {
		lag, err := adm.Lag(ctx, "crash")
		if err == nil {
			if l, ok := lag["crash"]; ok && l.Error() == nil && l.Lag.Total() == 0 && testutil.ToFloat64(svc.Metrics.MessagesSuccess) > 0 {
				break
			}
		}
		if ctx.Err() != nil {
			t.Fatal("second run never caught up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	scancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := int64(testutil.ToFloat64(svc.Metrics.MessagesSuccess)); got != total-committed {
		t.Errorf("second run handled %d records, want %d (everything after the %d committed)", got, total-committed, committed)
	}
	dups := 0
	a.mu.Lock()
	for k := range b.m {
		if a.m[k] > 0 {
			dups++
		}
	}
	for th, last := range st.LastSeq {
		for i := uint64(1); i <= last; i++ {
			k := th + "/" + strconv.FormatUint(i, 10)
			if a.m[k]+b.m[k] == 0 {
				t.Errorf("lost %s: handled by neither run", k)
			}
		}
	}
	a.mu.Unlock()
	t.Logf("killed after %d records delivered, %d committed; the second run handled %d, of which %d were redeliveries", a.len(), committed, b.len(), dups)
}

func mustListen(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}
