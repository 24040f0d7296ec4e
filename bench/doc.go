// Package bench holds streamaudit's cross-package benchmarks, each measured side by side
// with its baseline in the same run (absolute times on shared machines are noise):
//
//   - consume path: streamsvc (decode, metrics, lag slots, fan-out to one WebSocket
//     client) against a raw franz-go poll loop that only counts records, and the raw loop
//     plus lag tracking alone, on the in-process broker with 100 B and 1 KiB records;
//   - verify: kafkavet under `go vet -vettool` against plain `go vet` on the same
//     packages, and `verify rules` against `promtool check rules` on the rule corpus.
//
// `make bench` runs them with -benchmem and pipes the output through ./bench/ratios,
// which prints one line per figure: the ratio to its baseline and the goal it is held to
// (docs/PERFORMANCE.md).
package bench
