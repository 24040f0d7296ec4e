// Package kafkasecurity defines an Analyzer (rule kafka-security) that reports every
// Kafka client construction into which the project's security configuration (TLS/SASL)
// does not flow.
//
// # Analyzer kafkasecurity
//
// kafkasecurity: report Kafka clients built without the security config
//
// Libraries: franz-go (kgo.NewClient, kadm.NewOptClient), IBM and Shopify sarama
// (NewClient, NewConsumerGroup, NewSyncProducer, NewAsyncProducer, NewClusterAdmin,
// NewConsumer), segmentio/kafka-go (NewReader, NewWriter, Writer and Client literals,
// Dialer methods, the package-level Dial functions) and confluent-kafka-go (NewConsumer,
// NewProducer, NewAdminClient).
//
// Security rarely appears at the constructor call, so the analyzer works by provenance.
// It evaluates where the options, config or ConfigMap of each construction come from:
// local variables and their assignments, appends and slices.Concat, struct fields
// (every store to the field in the package), composite literals, and calls. A value is
// secured when security reaches it on some path: a franz-go security option (kgo.SASL,
// kgo.DialTLSConfig, kgo.DialTLS), a sarama Net.TLS.Enable/Net.SASL.Enable setting, a
// kafka-go Dialer/Transport with TLS or SASL, a confluent security.protocol other than
// plaintext, or a call to a security provider.
//
// Providers are functions marked `//streamaudit:kafka-security`, functions named in the
// -providers flag (types.Func full names, e.g. "example.com/kcfg.SecurityOpts" or
// "(*example.com/kcfg.Config).Apply"), and functions inferred to return secured
// options or configs. Like printf's wrapper inference, the analyzer exports object facts
// so that other packages see: providers, constructor wrappers (functions that forward a
// parameter's options or config to a constructor; calls of a wrapper are checked at the
// caller), config mutators (functions that set security on a parameter) and fields that
// hold secured values.
//
// Findings have two confidence tiers: high when every source of the value was resolved
// and none carries security, low when a source could not be resolved (an interface call,
// a function without a body, a closure parameter). For franz-go the diagnostic carries a
// suggested fix that adds a parameterless provider's options when one is in scope.
package kafkasecurity
