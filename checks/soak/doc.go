// Package soak is streamaudit's dynamic check: it runs a Kafka consumer service (streamsvc,
// or the audited dashstream-v7 design) as memory-limited containers against the test
// broker, drives synthetic load, scrapes the members and a real Prometheus server loaded
// with the repository's alert rules, and turns what it measured into findings
// (soak-memory-unbounded, soak-stale-gauge, soak-data-loss, soak-false-alert,
// soak-alert-pending), a figures JSON and PNG plots.
//
// The pure parts (series fitting, metric parsing, judging, plotting) run in plain unit
// tests; everything that needs a Docker engine sits behind Main and the `soak` build tag
// of the package tests, and skips with a reason where no engine answers.
package soak
