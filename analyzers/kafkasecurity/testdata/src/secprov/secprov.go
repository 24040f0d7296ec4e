// Package secprov provides security (and non-security) helpers used from other test
// packages: facts must carry its providers, wrappers and mutators across packages.
package secprov

import (
	"os"

	ibm "github.com/IBM/sarama"
	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"
	kafka "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
)

// SecurityOpts is a declared provider.
//
//streamaudit:kafka-security
func SecurityOpts() []kgo.Opt {
	return nil
}

// Inferred is inferred to be a provider: security is appended on some path.
func Inferred() []kgo.Opt {
	var o []kgo.Opt
	if os.Getenv("TLS") != "" {
		o = append(o, kgo.DialTLSConfig(new(int)))
	}
	return o
}

// Plain returns options without security.
func Plain() []kgo.Opt { return []kgo.Opt{kgo.ClientID("plain")} }

// Config is a security configuration whose method is inferred a provider.
type Config struct{ SASL bool }

// Opts returns the client options.
func (c *Config) Opts() ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.SeedBrokers("b")}
	if c.SASL {
		opts = append(opts, kgo.SASL())
	}
	return opts, nil
}

// NewClient forwards its options: a constructor wrapper.
func NewClient(extra ...kgo.Opt) (*kgo.Client, error) {
	return kgo.NewClient(extra...)
}

// NewSecureClient adds security itself: its callers need nothing.
func NewSecureClient(extra ...kgo.Opt) (*kgo.Client, error) {
	return kgo.NewClient(append(SecurityOpts(), extra...)...)
}

// WithDefaults prepends defaults: its result is as secure as its arguments.
func WithDefaults(opts ...kgo.Opt) []kgo.Opt {
	return append([]kgo.Opt{kgo.ClientID("svc")}, opts...)
}

// AddSecurity appends security to an options slice: a mutator.
func AddSecurity(opts *[]kgo.Opt) {
	*opts = append(*opts, kgo.SASL())
}

// ApplySarama sets TLS on a sarama config: a mutator.
func ApplySarama(c *ibm.Config) {
	c.Net.TLS.Enable = os.Getenv("TLS") != ""
}

// SetClientID mutates a sarama config without security.
func SetClientID(c *ibm.Config) { c.ClientID = "svc" }

// SaramaConfig returns a secured config: a provider.
func SaramaConfig() *ibm.Config {
	c := ibm.NewConfig()
	ApplySarama(c)
	return c
}

// NewSaramaProducer forwards its config: a wrapper.
func NewSaramaProducer(c *ibm.Config) (ibm.SyncProducer, error) {
	return ibm.NewSyncProducer([]string{"b"}, c)
}

// Transport returns a kafka-go transport with TLS: a provider.
func Transport() *kafka.Transport { return &kafka.Transport{TLS: new(int)} }

// ApplyConfluent sets security.protocol: a mutator.
func ApplyConfluent(cm *ckafka.ConfigMap) {
	(*cm)["security.protocol"] = os.Getenv("KAFKA_SECURITY_PROTOCOL")
}

// NewKafkaGoReader forwards its dialer: a kafka-go wrapper.
func NewKafkaGoReader(d *kafka.Dialer) *kafka.Reader {
	return kafka.NewReader(kafka.ReaderConfig{Brokers: []string{"b"}, Dialer: d})
}

// ApplyDialer sets TLS on a kafka-go dialer: a mutator.
func ApplyDialer(d *kafka.Dialer) { d.TLS = new(int) }

// ConfluentConfig returns a secured ConfigMap: a provider.
func ConfluentConfig() *ckafka.ConfigMap {
	return &ckafka.ConfigMap{"security.protocol": os.Getenv("KAFKA_SECURITY_PROTOCOL")}
}

// NewConfluentProducer forwards its ConfigMap: a confluent wrapper.
func NewConfluentProducer(cm *ckafka.ConfigMap) (*ckafka.Producer, error) {
	return ckafka.NewProducer(cm)
}
