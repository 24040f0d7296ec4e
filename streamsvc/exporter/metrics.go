// Package exporter holds streamsvc's Prometheus metrics (one registry per service, never
// the global one) and its HTTP surface: /metrics, /healthz and /readyz. Nothing here
// talks to Kafka: a scrape only reads in-memory values.
package exporter

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/twmb/franz-go/plugin/kprom"

	"github.com/streamaudit/streamaudit/streamsvc/envelope"
)

// Infrastructure error types (label "type" of websocket_infrastructure_errors_total).
const (
	InfraFetch     = "fetch"
	InfraCommit    = "commit"
	InfraProduce   = "produce"
	InfraDLQ       = "dlq"
	InfraAdmin     = "admin"
	InfraWebSocket = "websocket"
)

// Disconnect reasons (label "reason" of websocket_client_disconnects_total).
const (
	DisconnectSlow     = "slow"     // the client's queue filled or a write timed out
	DisconnectClosed   = "closed"   // the client or the server closed the connection
	DisconnectAuth     = "auth"     // rejected: missing or wrong bearer token
	DisconnectShutdown = "shutdown" // the service stopped
)

// Metrics are every metric streamsvc exports itself (lagmon registers its own). Labelled
// children used on the hot path are resolved once here, so the consume loop only does
// atomic adds.
type Metrics struct {
	Registry *prometheus.Registry
	// Kprom is franz-go's client metrics hook of the consumer client (kgo.WithHooks).
	// A kprom.Metrics serves one client, so the DLQ producer has its own, KpromDLQ
	// (subsystem "dlq_producer").
	Kprom    *kprom.Metrics
	KpromDLQ *kprom.Metrics

	MessagesSuccess prometheus.Counter
	MessagesError   prometheus.Counter
	errorsByType    *prometheus.CounterVec
	infraErrors     *prometheus.CounterVec
	ErrorsByType    map[string]prometheus.Counter
	Infra           map[string]prometheus.Counter
	Duplicates      prometheus.Counter

	DLQSent          prometheus.Counter
	DLQSendFailures  prometheus.Counter
	DLQDropped       prometheus.Counter
	DLQBlocked       prometheus.Gauge
	ClientsConnected prometheus.Gauge
	disconnects      *prometheus.CounterVec
	Disconnects      map[string]prometheus.Counter
	WSMessagesSent   prometheus.Counter
	Ready            prometheus.Gauge

	sources []Source // served on /metrics next to Registry (AddSource)
}

// NewMetrics creates the registry with the Go and process collectors, franz-go's kprom
// metrics (namespace "streamsvc") and streamsvc's own metrics.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{Registry: reg}
	m.Kprom = kprom.NewMetrics("streamsvc", kprom.Registerer(reg), kprom.Gatherer(reg))
	m.KpromDLQ = kprom.NewMetrics("streamsvc", kprom.Subsystem("dlq_producer"), kprom.Registerer(reg), kprom.Gatherer(reg))
	f := func(c prometheus.Collector) { reg.MustRegister(c) }

	msgs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "websocket_kafka_messages_total",
		Help: "Records consumed from KAFKA_TOPIC by processing outcome: success (decoded and fanned out) or error (undecodable; sent to the DLQ or dropped).",
	}, []string{"status"})
	f(msgs)
	m.MessagesSuccess = msgs.WithLabelValues("success")
	m.MessagesError = msgs.WithLabelValues("error")

	m.errorsByType = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "websocket_kafka_errors_by_type_total",
		Help: "Processing errors by kind: decode (not an envelope), version (unsupported envelope version), validate (a required field missing or out of range).",
	}, []string{"type"})
	f(m.errorsByType)
	m.ErrorsByType = map[string]prometheus.Counter{}
	for _, k := range envelope.ErrorKinds {
		m.ErrorsByType[k] = m.errorsByType.WithLabelValues(k)
	}

	m.infraErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "websocket_infrastructure_errors_total",
		Help: "Kafka, network and client errors (not record contents) by type: fetch, commit, produce, dlq, admin, websocket.",
	}, []string{"type"})
	f(m.infraErrors)
	m.Infra = map[string]prometheus.Counter{}
	for _, t := range []string{InfraFetch, InfraCommit, InfraProduce, InfraDLQ, InfraAdmin, InfraWebSocket} {
		m.Infra[t] = m.infraErrors.WithLabelValues(t)
	}

	m.Duplicates = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "websocket_kafka_duplicates_total",
		Help: "Records whose (thread_id, seq) is at or below the highest sequence this process already processed for that thread: redeliveries after a rebalance, restart or replay (at-least-once).",
	})
	f(m.Duplicates)

	m.DLQSent = prometheus.NewCounter(prometheus.CounterOpts{Name: "websocket_dlq_sent_total", Help: "Undecodable records written to KAFKA_DLQ_TOPIC."})
	m.DLQSendFailures = prometheus.NewCounter(prometheus.CounterOpts{Name: "websocket_dlq_send_failures_total", Help: "Failed attempts to write a record to KAFKA_DLQ_TOPIC (each retry counts)."})
	m.DLQDropped = prometheus.NewCounter(prometheus.CounterOpts{Name: "websocket_dlq_dropped_total", Help: "Undecodable records lost because the DLQ write failed in best-effort mode."})
	m.DLQBlocked = prometheus.NewGauge(prometheus.GaugeOpts{Name: "websocket_dlq_blocked_partitions", Help: "Partitions paused because a record cannot be written to the DLQ (fail-closed mode); their offsets do not advance until it is."})
	f(m.DLQSent)
	f(m.DLQSendFailures)
	f(m.DLQDropped)
	f(m.DLQBlocked)

	m.ClientsConnected = prometheus.NewGauge(prometheus.GaugeOpts{Name: "websocket_clients_connected", Help: "WebSocket clients currently connected to /ws."})
	m.disconnects = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "websocket_client_disconnects_total",
		Help: "WebSocket clients disconnected by reason: slow (queue full or write timeout), closed, auth (rejected), shutdown.",
	}, []string{"reason"})
	m.Disconnects = map[string]prometheus.Counter{}
	for _, r := range []string{DisconnectSlow, DisconnectClosed, DisconnectAuth, DisconnectShutdown} {
		m.Disconnects[r] = m.disconnects.WithLabelValues(r)
	}
	m.WSMessagesSent = prometheus.NewCounter(prometheus.CounterOpts{Name: "websocket_messages_sent_total", Help: "Messages written to WebSocket clients."})
	m.Ready = prometheus.NewGauge(prometheus.GaugeOpts{Name: "streamsvc_ready", Help: "1 when /readyz answers 200: the consumer polls and no partition is blocked on the DLQ."})
	f(m.ClientsConnected)
	f(m.disconnects)
	f(m.WSMessagesSent)
	f(m.Ready)
	return m
}
