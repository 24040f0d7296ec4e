// Package kafkainsecure defines an Analyzer (rule kafka-insecure) that reports definite
// Kafka security misconfigurations.
//
// # Analyzer kafkainsecure
//
// kafkainsecure: report definite Kafka security misconfigurations
//
// In packages that use a Kafka client library it reports:
//
//   - tls.Config InsecureSkipVerify set to the constant true;
//   - SASL PLAIN without TLS in one function: franz-go kgo.SASL with a plain mechanism
//     and no DialTLSConfig/DialTLS, sarama Net.SASL.Enable with the PLAIN mechanism and
//     no Net.TLS.Enable, a kafka-go Dialer or Transport with a plain mechanism and no TLS,
//     a confluent ConfigMap with security.protocol SASL_PLAINTEXT and mechanism PLAIN;
//   - sarama Net.TLS.Config set in a function that never sets Net.TLS.Enable (the TLS
//     config is silently unused);
//   - confluent enable.ssl.certificate.verification set to false;
//   - a kgo.Dialer option next to DialTLSConfig in one function (the custom dialer
//     replaces the TLS dialer).
//
// Settings that come from configuration at run time (non-constant values) are not
// reported: they are the job of kafka-security and of the deployment checks.
package kafkainsecure
