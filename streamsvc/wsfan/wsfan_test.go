package wsfan_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/streamaudit/streamaudit/streamsvc/exporter"
	"github.com/streamaudit/streamaudit/streamsvc/wsfan"
)

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func heap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// A client that never reads is disconnected as slow while a normal client receives every
// message, and the heap stays bounded although ~400 MiB are published.
func TestSlowClientDisconnectedNormalKeepsReceiving(t *testing.T) {
	m := exporter.NewMetrics()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const queue = 64
	hub := wsfan.New(ctx, wsfan.Config{QueueSize: queue, WriteTimeout: 2 * time.Second}, m)
	srv := httptest.NewServer(hub)
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")

	// The slow client: connects and never reads.
	slow, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.CloseNow()
	normal, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer normal.CloseNow()
	normal.SetReadLimit(1 << 20)
	var got atomic.Int64
	go func() {
		for {
			if _, _, err := normal.Read(ctx); err != nil {
				return
			}
			got.Add(1)
		}
	}()
	eventually(t, "both clients registered", func() bool { return hub.Clients() == 2 })

	msg := []byte(strings.Repeat("x", 64<<10)) // 64 KiB
	const total = 6400                         // 400 MiB in all
	base := heap()
	var peak uint64
	for i := 0; i < total; i++ {
		hub.Publish("t", msg)
		if (i+1)%(queue/2) == 0 {
			// Pace the publisher to the normal client (not to the slow one).
			want := int64(i + 1)
			eventually(t, "normal client caught up", func() bool { return got.Load() >= want })
		}
		if i%640 == 0 {
			peak = max(peak, heap())
		}
	}
	eventually(t, "normal client received everything", func() bool { return got.Load() == total })
	eventually(t, "slow client disconnected and counted", func() bool {
		return testutil.ToFloat64(m.Disconnects[exporter.DisconnectSlow]) == 1
	})
	if hub.Clients() != 1 {
		t.Fatalf("%d clients connected, want 1 (the normal one)", hub.Clients())
	}
	// Bound: queue plus socket buffers of two clients, far below the 400 MiB published.
	const bound = 64 << 20
	if peak > base+bound {
		t.Fatalf("heap peaked at %d MiB over a base of %d MiB; want under %d MiB more", peak>>20, base>>20, bound>>20)
	}
}

func TestThreadFilter(t *testing.T) {
	m := exporter.NewMetrics()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hub := wsfan.New(ctx, wsfan.Config{}, m)
	srv := httptest.NewServer(hub)
	defer srv.Close()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"?thread=b", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	eventually(t, "client registered", func() bool { return hub.Clients() == 1 })
	hub.Publish("a", []byte(`A`))
	hub.Publish("b", []byte(`B`))
	_, b, err := c.Read(ctx)
	if err != nil || string(b) != "B" {
		t.Fatalf("got %q, %v; want only thread b's message", b, err)
	}
}

func TestBearerTokenAndOrigin(t *testing.T) {
	m := exporter.NewMetrics()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hub := wsfan.New(ctx, wsfan.Config{Token: "s3cret", Origins: []string{"dash.example.com"}}, m)
	srv := httptest.NewServer(hub)
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")

	_, resp, err := websocket.Dial(ctx, url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: err=%v resp=%v, want 401", err, resp)
	}
	if testutil.ToFloat64(m.Disconnects[exporter.DisconnectAuth]) != 1 {
		t.Fatal("auth rejection not counted")
	}
	_, resp, err = websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer wrong"}}})
	if err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong token accepted: %v", err)
	}
	h := http.Header{"Authorization": {"Bearer s3cret"}, "Origin": {"https://evil.example.org"}}
	_, resp, err = websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if err == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: err=%v status=%v, want 403", err, resp)
	}
	h.Set("Origin", "https://dash.example.com")
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("allowed origin with token rejected: %v", err)
	}
	c.CloseNow()
	c, _, err = websocket.Dial(ctx, url+"?token=s3cret", nil)
	if err != nil {
		t.Fatalf("query token rejected: %v", err)
	}
	c.CloseNow()
}

// Publish allocates nothing, with or without clients.
func TestPublishDoesNotAllocate(t *testing.T) {
	m := exporter.NewMetrics()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hub := wsfan.New(ctx, wsfan.Config{QueueSize: 1 << 16}, m)
	srv := httptest.NewServer(hub)
	defer srv.Close()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	eventually(t, "client registered", func() bool { return hub.Clients() == 1 })
	msg := []byte(`{"v":1}`)
	if a := testing.AllocsPerRun(1000, func() { hub.Publish("t", msg) }); a != 0 {
		t.Fatalf("Publish allocates %v per call", a)
	}
}

func BenchmarkPublish(b *testing.B) {
	m := exporter.NewMetrics()
	hub := wsfan.New(b.Context(), wsfan.Config{}, m)
	msg := []byte(`{"v":1}`)
	b.ReportAllocs()
	for b.Loop() {
		hub.Publish("t", msg)
	}
}
