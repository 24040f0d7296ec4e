// Package wsfan fans decoded records out to WebSocket clients on /ws. Publish never
// blocks: every client has a bounded queue, and a client whose queue is full (or whose
// socket write times out) is disconnected and counted, so a slow client can neither slow
// the consumer nor grow memory.
package wsfan

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/streamaudit/streamaudit/streamsvc/exporter"
)

// Config tunes the hub; zero values take the defaults.
type Config struct {
	// QueueSize is each client's queue length in messages. Default 256.
	QueueSize int
	// WriteTimeout bounds one socket write; a client that does not drain its socket in
	// this time is disconnected as slow. Default 5s.
	WriteTimeout time.Duration
	// Token, when non-empty, is the bearer token /ws requires (header
	// "Authorization: Bearer <token>" or query "?token=").
	Token string
	// Origins are the origin patterns allowed to connect from a browser (see
	// websocket.AcceptOptions.OriginPatterns); same-origin only when empty.
	Origins []string
	// MaxClients caps concurrent clients. Default 1024.
	MaxClients int
}

// Hub is the set of connected clients.
type Hub struct {
	cfg     Config
	m       *exporter.Metrics
	mu      sync.RWMutex
	clients map[*client]struct{}
	ctx     context.Context
	active  sync.WaitGroup
}

type client struct {
	thread string
	ch     chan []byte
	once   sync.Once
	reason string // set once, before kick closes
	kicked chan struct{}
}

func (c *client) kick(reason string) {
	c.once.Do(func() { c.reason = reason; close(c.kicked) })
}

// New returns a hub whose clients are disconnected when ctx is done.
func New(ctx context.Context, cfg Config, m *exporter.Metrics) *Hub {
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 256
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 5 * time.Second
	}
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = 1024
	}
	return &Hub{cfg: cfg, m: m, clients: map[*client]struct{}{}, ctx: ctx}
}

// Publish queues msg for every client subscribed to thread (or to all threads). It
// never blocks and allocates nothing: a client whose queue is full is disconnected as
// slow. msg must not be modified afterwards.
func (h *Hub) Publish(thread string, msg []byte) {
	h.mu.RLock()
	for c := range h.clients {
		if c.thread != "" && c.thread != thread {
			continue
		}
		select {
		case c.ch <- msg:
		default:
			c.kick(exporter.DisconnectSlow)
		}
	}
	h.mu.RUnlock()
}

// Wait blocks until every connection handler has returned; call it after the hub's
// context ended. Each handler ends within its queue's worth of write timeouts.
func (h *Hub) Wait() { h.active.Wait() }

// Clients returns the number of connected clients.
func (h *Hub) Clients() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.clients)
}

func (h *Hub) authorized(r *http.Request) bool {
	if h.cfg.Token == "" {
		return true
	}
	got := r.URL.Query().Get("token")
	if a := r.Header.Get("Authorization"); a != "" {
		got, _ = strings.CutPrefix(a, "Bearer ")
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(h.cfg.Token)) == 1
}

// ServeHTTP upgrades the request to a WebSocket and streams records to it until the
// client leaves, falls behind, or the hub's context ends. Query "thread" filters by
// thread id.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(r) {
		h.m.Disconnects[exporter.DisconnectAuth].Inc()
		w.Header().Set("WWW-Authenticate", `Bearer realm="streamsvc"`)
		http.Error(w, "missing or wrong bearer token", http.StatusUnauthorized)
		return
	}
	if h.Clients() >= h.cfg.MaxClients {
		http.Error(w, "too many clients", http.StatusServiceUnavailable)
		return
	}
	h.active.Add(1)
	defer h.active.Done()
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: h.cfg.Origins})
	if err != nil {
		// Accept has written the HTTP error (e.g. 403 for a foreign origin).
		h.m.Infra[exporter.InfraWebSocket].Inc()
		return
	}
	c := &client{thread: r.URL.Query().Get("thread"), ch: make(chan []byte, h.cfg.QueueSize), kicked: make(chan struct{})}
	h.mu.Lock()
	h.clients[c] = struct{}{}
	h.mu.Unlock()
	h.m.ClientsConnected.Inc()
	reason := h.serve(conn, r.Context(), c)
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
	h.m.ClientsConnected.Dec()
	h.m.Disconnects[reason].Inc()
}

func (h *Hub) serve(conn *websocket.Conn, reqCtx context.Context, c *client) string {
	// CloseRead discards client frames and ends ctx when the client closes.
	ctx := conn.CloseRead(reqCtx)
	for {
		select {
		case <-h.ctx.Done():
			// Deliver what is already queued (bounded by the queue and the write
			// timeout), then say goodbye.
			for {
				select {
				case msg := <-c.ch:
					wctx, cancel := context.WithTimeout(ctx, h.cfg.WriteTimeout)
					err := conn.Write(wctx, websocket.MessageText, msg)
					cancel()
					if err != nil {
						conn.CloseNow()
						return exporter.DisconnectShutdown
					}
					h.m.WSMessagesSent.Inc()
					continue
				default:
				}
				break
			}
			conn.Close(websocket.StatusGoingAway, "server shutting down")
			return exporter.DisconnectShutdown
		case <-ctx.Done():
			conn.CloseNow()
			return exporter.DisconnectClosed
		case <-c.kicked:
			conn.Close(websocket.StatusPolicyViolation, "client too slow: queue full")
			return c.reason
		case msg := <-c.ch:
			wctx, cancel := context.WithTimeout(ctx, h.cfg.WriteTimeout)
			err := conn.Write(wctx, websocket.MessageText, msg)
			timedOut := errors.Is(wctx.Err(), context.DeadlineExceeded) && reqCtx.Err() == nil
			cancel()
			if err != nil {
				conn.CloseNow()
				if timedOut {
					return exporter.DisconnectSlow
				}
				return exporter.DisconnectClosed
			}
			h.m.WSMessagesSent.Inc()
		}
	}
}
