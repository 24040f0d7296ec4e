// Package kafkahotloop defines an Analyzer (rule kafka-hotloop) that reports broker round
// trips and goroutine launches inside a Kafka poll loop.
//
// # Analyzer kafkahotloop
//
// kafkahotloop: report broker round trips and per-record goroutines in poll loops
//
// A poll loop is a for or range loop that polls records: franz-go PollFetches and
// PollRecords, kafka-go Reader.ReadMessage and FetchMessage, confluent Consumer.Poll and
// ReadMessage, a range over (or receive from) sarama's ConsumerGroupClaim.Messages or
// PartitionConsumer.Messages, or a call of a function that does one of these.
//
// Inside such a loop, including callbacks such as Fetches.EachRecord, the analyzer
// reports calls that cost a broker round trip per poll or per record (kadm and sarama
// ClusterAdmin calls, watermark and ListOffsets queries, metadata requests, kmsg
// RequestWith, kgo Client.Request, building a new client or connection) and `go`
// statements. Functions that perform a round trip or start a goroutine are summarised as
// object facts, so a call into another function or package that does so is reported at
// the call in the loop, naming the round trip it leads to. Commits and produces (for
// example to a dead-letter topic) are part of consuming and are not reported.
package kafkahotloop
