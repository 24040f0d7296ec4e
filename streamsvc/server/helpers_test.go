package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/internal/kafkatest"
	"github.com/streamaudit/streamaudit/streamsvc/envelope"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
	"github.com/streamaudit/streamaudit/streamsvc/loadgen"
	"github.com/streamaudit/streamaudit/streamsvc/server"
)

const (
	topic    = "dashstream-quality"
	dlqTopic = "dashstream-quality-dlq"
)

func cluster(t *testing.T, partitions int32) *kafkatest.Cluster {
	t.Helper()
	return kafkatest.New(t, kafkatest.Topic(topic, partitions), kafkatest.Topic(dlqTopic, 1))
}

type running struct {
	svc    *server.Service
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// stop sends the equivalent of SIGTERM and waits for a clean exit.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		if r.err != nil {
			t.Fatalf("serve returned %v", r.err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop within 60s of cancellation")
	}
}

func start(t *testing.T, kc *kafkaconf.Config, o server.Options) *running {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o.Listener = ln
	if o.Consume.CommitInterval == 0 {
		o.Consume.CommitInterval = 50 * time.Millisecond
	}
	if o.WS.QueueSize == 0 {
		o.WS.QueueSize = 100000
	}
	svc, err := server.New(kc, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{svc: svc, cancel: cancel, done: make(chan struct{})}
	go func() { r.err = svc.Run(ctx); close(r.done) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
		ln.Close()
	})
	return r
}

func produce(t *testing.T, kc *kafkaconf.Config, cfg loadgen.Config, opts ...kgo.Opt) loadgen.Stats {
	t.Helper()
	cl, err := kafkaconf.NewClient(kc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if cfg.Topic == "" {
		cfg.Topic = kc.Topic
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := loadgen.Run(ctx, cl, cfg)
	if err != nil || st.Failed > 0 {
		t.Fatalf("produce: %v (failed %d, first %v)", err, st.Failed, st.FirstErr)
	}
	return st
}

// eventually polls cond until it holds; the timeout only bounds a hung test, it asserts
// nothing about speed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func val(c prometheus.Collector) float64 { return testutil.ToFloat64(c) }

// offsets returns the committed offsets of group and the end offsets of topic.
func offsets(t *testing.T, kc *kafkaconf.Config, group string) (committed, end map[int32]int64) {
	t.Helper()
	adm, err := kafkaconf.NewAdmin(kc)
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	committed, end = map[int32]int64{}, map[int32]int64{}
	fo, err := adm.FetchOffsets(ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		err = nil
	}
	if err != nil {
		t.Fatalf("fetch offsets: %v", err)
	}
	fo.Each(func(o kadm.OffsetResponse) {
		if o.Topic == kc.Topic {
			committed[o.Partition] = o.At
		}
	})
	eo, err := adm.ListEndOffsets(ctx, kc.Topic)
	if err != nil {
		t.Fatalf("list end offsets: %v", err)
	}
	eo.Each(func(o kadm.ListedOffset) { end[o.Partition] = o.Offset })
	return committed, end
}

func caughtUp(t *testing.T, kc *kafkaconf.Config, group string) bool {
	c, e := offsets(t, kc, group)
	for p, end := range e {
		if end > 0 && c[p] != end {
			return false
		}
	}
	return true
}

// readAll reads every record of topic from the start (no group).
func readAll(t *testing.T, kc *kafkaconf.Config, topic string, want int) []*kgo.Record {
	t.Helper()
	cl, err := kafkaconf.NewClient(kc, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %s: got %d records, want %d", topic, len(out), want)
		}
		out = append(out, fs.Records()...)
	}
	return out
}

// wsCollector is a WebSocket client that records every (thread, seq) it receives.
type wsCollector struct {
	mu   sync.Mutex
	seen map[string]int // "thread/seq" -> times received
	n    int
	done chan struct{} // closed when the connection ended
}

func collect(t *testing.T, addr, query string) *wsCollector {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	conn, _, err := websocket.Dial(ctx, "ws://"+addr+"/ws"+query, nil)
	if err != nil {
		cancel()
		t.Fatalf("dial ws: %v", err)
	}
	conn.SetReadLimit(1 << 21)
	w := &wsCollector{seen: map[string]int{}, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				return
			}
			var e struct {
				ThreadID string `json:"thread_id"`
				Seq      uint64 `json:"seq"`
			}
			if json.Unmarshal(b, &e) == nil {
				w.mu.Lock()
				w.seen[e.ThreadID+"/"+itoa(e.Seq)]++
				w.n++
				w.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { cancel(); conn.CloseNow() })
	return w
}

func (w *wsCollector) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

func (w *wsCollector) keys() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := make(map[string]int, len(w.seen))
	for k, v := range w.seen {
		m[k] = v
	}
	return m
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// allSeqs lists every "thread/seq" a load generator produced.
func allSeqs(st ...loadgen.Stats) map[string]bool {
	m := map[string]bool{}
	for _, s := range st {
		for th, last := range s.LastSeq {
			for i := uint64(1); i <= last; i++ {
				m[th+"/"+itoa(i)] = true
			}
		}
	}
	return m
}

func header(r *kgo.Record, key string) (string, bool) {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value), true
		}
	}
	return "", false
}

func decode(v []byte) (envelope.Envelope, error) { return envelope.Decode(v) }

func newProducer(kc *kafkaconf.Config) (*kgo.Client, error) { return kafkaconf.NewClient(kc) }

// tap records every (thread, seq) the service handled successfully; onEach runs after.
type tap struct {
	mu     sync.Mutex
	seen   map[string]int
	n      int
	onEach func(n int)
}

func newTap() *tap { return &tap{seen: map[string]int{}} }

func (p *tap) Publish(_ string, msg []byte) {
	e, err := envelope.Decode(msg)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.seen[e.ThreadID+"/"+itoa(e.Seq)]++
	p.n++
	n, f := p.n, p.onEach
	p.mu.Unlock()
	if f != nil {
		f(n)
	}
}

func (p *tap) keys() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := make(map[string]int, len(p.seen))
	for k, v := range p.seen {
		m[k] = v
	}
	return m
}

func clusterB(b *testing.B, partitions int32) *kafkatest.Cluster {
	b.Helper()
	return kafkatest.New(b, kafkatest.Topic(topic, partitions), kafkatest.Topic(dlqTopic, 1))
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

func spin() { time.Sleep(2 * time.Millisecond) }
