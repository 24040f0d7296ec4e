package insecure

import (
	"crypto/tls"
	"os"

	ibm "github.com/IBM/sarama"
	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"
	kafka "github.com/segmentio/kafka-go"
	kplain "github.com/segmentio/kafka-go/sasl/plain"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
)

func skipVerify() *tls.Config {
	return &tls.Config{InsecureSkipVerify: true} // want `InsecureSkipVerify is set to true`
}

func skipVerifyAssign(c *tls.Config) {
	c.InsecureSkipVerify = true // want `InsecureSkipVerify is set to true`
}

func skipVerifyFromConfig(c *tls.Config) {
	c.InsecureSkipVerify = os.Getenv("KAFKA_SSL_SKIP_VERIFY") == "1"
}

func skipVerifyIgnored(c *tls.Config) {
	c.InsecureSkipVerify = true //streamaudit:ignore kafka-insecure chain verified in VerifyConnection
}

func franzPlain() []kgo.Opt {
	return []kgo.Opt{kgo.SASL(plain.Auth{User: "u", Pass: "p"}.AsMechanism())} // want `SASL PLAIN without TLS`
}

func franzPlainTLS() []kgo.Opt {
	return []kgo.Opt{
		kgo.SASL(plain.Auth{User: "u", Pass: "p"}.AsMechanism()),
		kgo.DialTLSConfig(new(tls.Config)),
	}
}

func franzDialer() []kgo.Opt {
	return []kgo.Opt{
		kgo.DialTLSConfig(new(tls.Config)),
		kgo.Dialer(nil), // want `kgo.Dialer replaces the TLS dialer`
	}
}

func saramaTLSConfigOnly() *ibm.Config {
	c := ibm.NewConfig()
	c.Net.TLS.Config = new(tls.Config) // want `Net.TLS.Config is set but Net.TLS.Enable never is`
	return c
}

func saramaTLSConfigEnabled() *ibm.Config {
	c := ibm.NewConfig()
	c.Net.TLS.Enable = true
	c.Net.TLS.Config = new(tls.Config)
	return c
}

func saramaPlain() *ibm.Config {
	c := ibm.NewConfig()
	c.Net.SASL.Enable = true // want `sarama SASL PLAIN without Net.TLS.Enable`
	c.Net.SASL.Mechanism = ibm.SASLTypePlaintext
	return c
}

func saramaScram() *ibm.Config {
	c := ibm.NewConfig()
	c.Net.SASL.Enable = true
	c.Net.SASL.Mechanism = "SCRAM-SHA-512"
	return c
}

func kafkaGoPlain() *kafka.Dialer {
	return &kafka.Dialer{SASLMechanism: kplain.Mechanism{Username: "u"}} // want `kafka-go SASL PLAIN without TLS`
}

func kafkaGoPlainTLS() *kafka.Transport {
	return &kafka.Transport{SASL: kplain.Mechanism{Username: "u"}, TLS: new(tls.Config)}
}

func confluentPlain() *ckafka.ConfigMap {
	return &ckafka.ConfigMap{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "PLAIN"} // want `SASL_PLAINTEXT with mechanism PLAIN`
}

func confluentNoVerify() *ckafka.ConfigMap {
	cm := &ckafka.ConfigMap{"security.protocol": "SASL_SSL", "enable.ssl.certificate.verification": false} // want `enable.ssl.certificate.verification=false`
	cm.SetKey("enable.ssl.certificate.verification", "false")                                              // want `enable.ssl.certificate.verification=false`
	return cm
}
