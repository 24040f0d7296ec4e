// Package kafkadlqcommit defines an Analyzer (rule kafka-dlq-commit) that reports offset
// commits reachable after a dead-letter send whose failure does not stop them (the
// audit's M-429: "offsets advance regardless of DLQ send outcome").
//
// # Analyzer kafkadlqcommit
//
// kafkadlqcommit: report commits that do not depend on the dead-letter send succeeding
//
// A dead-letter send is a synchronous produce (franz-go ProduceSync, sarama
// SyncProducer.SendMessage(s), kafka-go Writer.WriteMessages, confluent Producer.Produce)
// whose call mentions a dead-letter name (dlq, deadletter, dead_letter: the client, the
// topic or the enclosing function), or a call of a function inferred to be one (it
// returns such a send's error). Commits are franz-go Commit*/MarkCommit*, sarama
// MarkMessage/MarkOffset/Commit, kafka-go CommitMessages, confluent Commit*/Store*, and
// calls of functions that commit.
//
// On the SSA form (buildssa) the analyzer follows the control flow from each send,
// taking only the error branch where the send's error is compared with nil, and reports
// the send when a commit is reachable on that path. A function or closure whose send's
// error path returns without propagating the error swallows the failure; a call of it
// (or a callback passed to, e.g., Fetches.EachRecord) followed by a reachable commit is
// reported at that call. Asynchronous produces with a promise are not judged: their
// outcome arrives in the callback, where the project decides what to commit.
package kafkadlqcommit
