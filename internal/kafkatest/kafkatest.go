// Package kafkatest starts an in-process Kafka-protocol cluster (franz-go's kfake, through
// internal/testbroker) for tests, bound to 127.0.0.1 only, and hands out streamsvc
// configurations pointing at it. Clusters can require TLS and SASL (NewSecure) and inject
// faults (DelayRequests, FailProduceTo, DropProduceTo).
package kafkatest

import (
	"context"
	"crypto/rand"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/streamaudit/streamaudit/internal/testbroker"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

// Cluster is a running in-process cluster.
type Cluster struct {
	*kfake.Cluster
	// Addrs are the brokers' host:port, in node order.
	Addrs []string
	// Broker is the test broker under the cluster: state, control API handler.
	Broker *testbroker.Broker
	// Security is what clients need to connect; the zero value is plaintext.
	Security Security
}

// Option configures New and NewSecure: any kfake option (kfake.NumBrokers(3), ...).
type Option = kfake.Opt

// Topic seeds a topic with the given number of partitions.
func Topic(name string, partitions int32) Option { return kfake.SeedTopics(partitions, name) }

// Security is how an in-process cluster authenticates clients.
type Security struct {
	// Protocol is a KAFKA_SECURITY_PROTOCOL value: plaintext (default), ssl,
	// sasl_plaintext or sasl_ssl.
	Protocol string
	// Mechanism is the SASL mechanism of the user; default SCRAM-SHA-512.
	Mechanism string
	// User and Password of the one SASL user; defaults "streamaudit" and a random password.
	User     string
	Password string
	// CA holds the certificates for ssl and sasl_ssl; NewSecure generates one when nil.
	CA *CA
	// MutualTLS makes the broker require a client certificate signed by CA; Env then
	// includes the CA's client certificate and key.
	MutualTLS bool
}

// Env returns the KAFKA_* security variables a client needs.
func (s Security) Env() map[string]string {
	m := map[string]string{}
	if s.Protocol == "" || s.Protocol == kafkaconf.ProtocolPlaintext {
		return m
	}
	m["KAFKA_SECURITY_PROTOCOL"] = s.Protocol
	if s.CA != nil && (s.Protocol == kafkaconf.ProtocolSSL || s.Protocol == kafkaconf.ProtocolSASLSSL) {
		m["KAFKA_SSL_CA_LOCATION"] = s.CA.CAFile
		if s.MutualTLS {
			m["KAFKA_SSL_CERTIFICATE_LOCATION"] = s.CA.ClientCertFile
			m["KAFKA_SSL_KEY_LOCATION"] = s.CA.ClientKeyFile
		}
	}
	if s.Protocol == kafkaconf.ProtocolSASLPlaintext || s.Protocol == kafkaconf.ProtocolSASLSSL {
		m["KAFKA_SASL_MECHANISM"] = s.Mechanism
		m["KAFKA_SASL_USERNAME"] = s.User
		m["KAFKA_SASL_PASSWORD"] = s.Password
	}
	return m
}

// New starts a plaintext cluster (one broker unless kfake.NumBrokers is given) listening
// on 127.0.0.1 and stops it when the test ends.
func New(tb testing.TB, opts ...Option) *Cluster {
	tb.Helper()
	return start(tb, Security{}, testbroker.Options{Extra: opts})
}

// NewSecure starts a cluster that requires sec (TLS with a CA generated into
// tb.TempDir() unless sec.CA is set, SASL with one user); Env and Config include the
// matching KAFKA_* security variables.
func NewSecure(tb testing.TB, sec Security, opts ...Option) *Cluster {
	tb.Helper()
	o := testbroker.Options{Extra: opts}
	switch sec.Protocol {
	case "", kafkaconf.ProtocolPlaintext:
		sec.Protocol = kafkaconf.ProtocolPlaintext
	case kafkaconf.ProtocolSSL, kafkaconf.ProtocolSASLPlaintext, kafkaconf.ProtocolSASLSSL:
	default:
		tb.Fatalf("kafkatest: security protocol %q: want plaintext, ssl, sasl_plaintext or sasl_ssl", sec.Protocol)
	}
	if sec.Protocol == kafkaconf.ProtocolSSL || sec.Protocol == kafkaconf.ProtocolSASLSSL {
		if sec.CA == nil {
			sec.CA = NewCA(tb)
		}
		tc, err := testbroker.ServerTLS(sec.CA.CertFile, sec.CA.KeyFile)
		if err != nil {
			tb.Fatalf("kafkatest: %v", err)
		}
		if sec.MutualTLS {
			if err := testbroker.RequireClientCerts(tc, sec.CA.CAFile); err != nil {
				tb.Fatalf("kafkatest: %v", err)
			}
		}
		o.TLS = tc
	} else if sec.MutualTLS {
		tb.Fatalf("kafkatest: MutualTLS needs protocol ssl or sasl_ssl, not %s", sec.Protocol)
	}
	if sec.Protocol == kafkaconf.ProtocolSASLPlaintext || sec.Protocol == kafkaconf.ProtocolSASLSSL {
		if sec.Mechanism == "" {
			sec.Mechanism = testbroker.MechScramSHA512
		}
		if sec.User == "" {
			sec.User = "streamaudit"
		}
		if sec.Password == "" {
			sec.Password = "pw-" + rand.Text()
		}
		o.SASL = true
		o.Users = []testbroker.User{{Mechanism: sec.Mechanism, Name: sec.User, Password: sec.Password}}
	}
	return start(tb, sec, o)
}

func start(tb testing.TB, sec Security, o testbroker.Options) *Cluster {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := testbroker.Start(ctx, o)
	if err != nil {
		tb.Fatalf("kafkatest: start cluster: %v", err)
	}
	tb.Cleanup(b.Close)
	return &Cluster{Cluster: b.Cluster, Addrs: b.Addrs(), Broker: b, Security: sec}
}

// Env returns the KAFKA_* environment pointing at the cluster (brokers and, for a secure
// cluster, its security settings), merged with extra.
func (c *Cluster) Env(extra map[string]string) map[string]string {
	m := c.Security.Env()
	m["KAFKA_BROKERS"] = strings.Join(c.Addrs, ",")
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// Config returns a validated streamsvc config pointing at the cluster.
func (c *Cluster) Config(tb testing.TB, extra map[string]string) *kafkaconf.Config {
	tb.Helper()
	cfg, err := kafkaconf.FromMap(c.Env(extra))
	if err != nil {
		tb.Fatalf("kafkatest: config: %v", err)
	}
	return cfg
}

// DelayRequests holds every request of kind key (e.g. int16(kmsg.Fetch)) for d until
// clear is called or the test ends.
func (c *Cluster) DelayRequests(key int16, d time.Duration) (clear func()) {
	return c.Broker.DelayRequests(key, d)
}

// FailProduceTo makes topic unwritable (TOPIC_AUTHORIZATION_FAILED, not retried by
// producers) until clear is called or the test ends.
func (c *Cluster) FailProduceTo(topic string) (clear func()) { return c.Broker.FailProduceTo(topic) }

// DropProduceTo closes the connection of every produce to topic without an answer
// (producers retry) until clear is called or the test ends.
func (c *Cluster) DropProduceTo(topic string) (clear func()) { return c.Broker.DropProduceTo(topic) }

// DropRequests closes the connection of every request of kind key without an answer
// until clear is called or the test ends.
func (c *Cluster) DropRequests(key int16) (clear func()) { return c.Broker.DropRequests(key) }

// FailRequests answers requests of kind key touching topic ("" for all) with err.
func (c *Cluster) FailRequests(key int16, topic string, err *kerr.Error) (clear func()) {
	return c.Broker.FailRequests(key, topic, err)
}

// ControlURL serves the test broker's control HTTP API (faults, state; see
// testbroker.ControlUsage) on a loopback port until the test ends and returns its URL.
func (c *Cluster) ControlURL(tb testing.TB) string {
	tb.Helper()
	srv := httptest.NewServer(c.Broker.ControlHandler())
	tb.Cleanup(srv.Close)
	return srv.URL
}

// ClearFaults removes every fault.
func (c *Cluster) ClearFaults() { c.Broker.ClearFaults() }

// CA is a generated certificate authority with a server certificate (see NewCA).
type CA = testbroker.CA

// NewCA generates a CA and a server certificate into tb.TempDir(), valid for hosts
// (default 127.0.0.1 and localhost).
func NewCA(tb testing.TB, hosts ...string) *CA {
	tb.Helper()
	ca, err := testbroker.GenerateCA(tb.TempDir(), hosts...)
	if err != nil {
		tb.Fatalf("kafkatest: %v", err)
	}
	return ca
}
