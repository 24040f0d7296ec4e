package exporter

import (
	"net"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ConnHook is a franz-go hook that counts failed broker connections and reads of one
// client as infrastructure errors of a type (fetch for the consumer, produce for the DLQ
// producer, admin for the admin client), and, when ready is set, blocks readiness under
// cond after Streak consecutive failures until a broker answers again. Client errors that
// kgo retries internally would otherwise be invisible.
type ConnHook struct {
	errs   prometheus.Counter
	ready  *Readiness
	cond   string
	streak atomic.Int64
	// Streak is the number of consecutive failures that blocks readiness. Default 3.
	Streak int64
}

// NewConnHook returns a hook counting into m.Infra[typ]; ready may be nil.
func NewConnHook(m *Metrics, typ string, ready *Readiness, cond string) *ConnHook {
	h := &ConnHook{errs: m.Infra[typ], ready: ready, cond: cond, Streak: 3}
	if ready != nil {
		ready.Block(cond, "no broker has answered yet")
	}
	return h
}

var (
	_ kgo.HookBrokerConnect = (*ConnHook)(nil)
	_ kgo.HookBrokerRead    = (*ConnHook)(nil)
)

// OnBrokerConnect counts a failed connection (dial, TLS or SASL).
func (h *ConnHook) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err != nil {
		h.fail(meta, err)
	}
}

// OnBrokerRead counts a failed read and clears the failure streak on a successful one.
func (h *ConnHook) OnBrokerRead(meta kgo.BrokerMetadata, _ int16, _ int, _, _ time.Duration, err error) {
	if err != nil {
		h.fail(meta, err)
		return
	}
	h.streak.Store(0)
	if h.ready != nil {
		h.ready.Clear(h.cond)
	}
}

func (h *ConnHook) fail(meta kgo.BrokerMetadata, err error) {
	h.errs.Inc()
	if n := h.streak.Add(1); n >= h.Streak && h.ready != nil {
		h.ready.Block(h.cond, "broker "+meta.Host+": "+err.Error())
	}
}
