package exporter

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// Readiness is the service's readiness: a set of named conditions that each block it.
// The zero value is not ready until Set("starting", false) or similar clears a condition;
// NewReadiness starts with the given conditions blocking.
type Readiness struct {
	mu      sync.Mutex
	blocked map[string]string // condition -> reason
	gauge   interface{ Set(float64) }
}

// NewReadiness returns a readiness blocked by the initial conditions, mirrored into gauge
// (streamsvc_ready).
func NewReadiness(gauge interface{ Set(float64) }, initial map[string]string) *Readiness {
	r := &Readiness{blocked: map[string]string{}, gauge: gauge}
	for k, v := range initial {
		r.blocked[k] = v
	}
	r.update()
	return r
}

// Block marks the condition as blocking readiness with a reason shown by /readyz.
func (r *Readiness) Block(cond, reason string) {
	r.mu.Lock()
	r.blocked[cond] = reason
	r.update()
	r.mu.Unlock()
}

// Clear removes a blocking condition.
func (r *Readiness) Clear(cond string) {
	r.mu.Lock()
	delete(r.blocked, cond)
	r.update()
	r.mu.Unlock()
}

// Ready reports whether no condition blocks, and the reasons otherwise.
func (r *Readiness) Ready() (bool, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var rs []string
	for k, v := range r.blocked {
		rs = append(rs, k+": "+v)
	}
	return len(rs) == 0, rs
}

func (r *Readiness) update() {
	if r.gauge == nil {
		return
	}
	if len(r.blocked) == 0 {
		r.gauge.Set(1)
	} else {
		r.gauge.Set(0)
	}
}

// Register adds /metrics (m.Handler), /healthz and /readyz to mux. /healthz answers 200
// while the process serves HTTP; /readyz answers 503 with the blocking reasons while not
// ready.
func Register(mux *http.ServeMux, m *Metrics, ready *Readiness) {
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		ok, reasons := ready.Ready()
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready: "+strings.Join(reasons, "; "))
			return
		}
		fmt.Fprintln(w, "ready")
	})
}
