package app

import "github.com/prometheus/client_golang/prometheus"

// Declared in another file than the constructor that uses them.
var (
	retryOpts   = prometheus.CounterOpts{Namespace: namespace, Name: "retries_total", Help: "Retries."}
	retryLabels = []string{"reason"}
)
