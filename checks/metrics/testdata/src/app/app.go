// Package app exercises every way the inventory resolves metric names.
package app

import (
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/twmb/franz-go/plugin/kprom"
)

const (
	namespace = "app"
	subsystem = "kafka"
)

var partLabels = []string{"topic", "partition"}

var lagDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, subsystem, "consumer_lag"), "Lag.", partLabels, nil)

var ageDesc = prometheus.NewDesc("app_kafka_commit_age_seconds", "Age.", partLabels, prometheus.Labels{"member": "x"})

type coll struct{}

func (coll) Describe(ch chan<- *prometheus.Desc) { ch <- lagDesc }

func (coll) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, 1, "t", "0")
	emit := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, "t", "0")
	}
	emit(ageDesc, 2)
}

// New registers everything.
func New(reg *prometheus.Registry) {
	opts := prometheus.CounterOpts{Namespace: namespace, Name: "messages_total", Help: "Messages."}
	msgs := prometheus.NewCounterVec(opts, []string{"status"})
	reg.MustRegister(msgs, coll{})
	f := promauto.With(reg)
	f.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Subsystem: subsystem, Name: "owned_partitions", Help: "Owned."})
	f.NewHistogramVec(prometheus.HistogramOpts{Name: "app_poll_duration_milliseconds", Help: "Poll."}, partLabels)
	promauto.With(reg).NewCounter(prometheus.CounterOpts{Name: "app_errors", Help: "Errors."})
	prometheus.NewGauge(prometheus.GaugeOpts{Name: os.Getenv("METRIC"), Help: "Dynamic."})
	reg.MustRegister(collectors.NewGoCollector())
	_ = collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}) // built, never registered
	reg.MustRegister(prometheus.NewCounterVec(retryOpts, retryLabels))
	_ = kprom.NewMetrics("app", kprom.Subsystem("client"), kprom.FetchAndProduceDetail(kprom.ByTopic, kprom.ConsistentNaming), kprom.WithClientLabel())
}
