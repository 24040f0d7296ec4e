package kafkaconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// TLSConfig builds the TLS configuration of KAFKA_SSL_*: the CA file (or the system
// pool), an optional client certificate, TLS 1.2 or newer, and host-name verification
// unless KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM=none, which still verifies the chain.
// It returns nil for protocols without TLS.
func (c *Config) TLSConfig() (*tls.Config, error) {
	if !c.UsesTLS() {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.SSLCALocation != "" {
		pem, err := os.ReadFile(c.SSLCALocation)
		if err != nil {
			return nil, &VarError{Var: "KAFKA_SSL_CA_LOCATION", Value: c.SSLCALocation, Msg: "cannot read: " + pathErrReason(err)}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &VarError{Var: "KAFKA_SSL_CA_LOCATION", Value: c.SSLCALocation, Msg: "no PEM certificate found"}
		}
		tc.RootCAs = pool
	}
	if c.SSLCertLocation != "" {
		cert, err := tls.LoadX509KeyPair(c.SSLCertLocation, c.SSLKeyLocation)
		if err != nil {
			// The tls error can quote key material only on malformed PEM headers; keep
			// the message generic and name the files.
			return nil, &VarError{Var: "KAFKA_SSL_CERTIFICATE_LOCATION", Value: c.SSLCertLocation, Msg: "cannot load certificate/key pair (KAFKA_SSL_KEY_LOCATION=" + c.SSLKeyLocation + ")"}
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if c.SSLEndpointIdent == "none" {
		roots := tc.RootCAs
		// Verify the chain ourselves, without the host name (librdkafka's semantics).
		tc.InsecureSkipVerify = true //streamaudit:ignore kafka-insecure chain verified in VerifyConnection; only the host-name check is off, as configured
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("broker presented no certificate")
			}
			opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
			for _, ic := range cs.PeerCertificates[1:] {
				opts.Intermediates.AddCert(ic)
			}
			_, err := cs.PeerCertificates[0].Verify(opts)
			return err
		}
	}
	return tc, nil
}

// Mechanism returns the SASL mechanism, or nil for protocols without SASL.
func (c *Config) Mechanism() (sasl.Mechanism, error) {
	if !c.UsesSASL() {
		return nil, nil
	}
	user, pass := c.SASLUsername, c.SASLPassword.Reveal()
	switch c.SASLMechanism {
	case "PLAIN":
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism(), nil
	}
	return nil, &VarError{Var: "KAFKA_SASL_MECHANISM", Value: c.SASLMechanism, Msg: "want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"}
}

// SecurityOpts returns the connection options every client needs: seed brokers, TLS and
// SASL. It is the project's security provider.
//
//streamaudit:kafka-security
func (c *Config) SecurityOpts() ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(c.Brokers...)}
	tc, err := c.TLSConfig()
	if err != nil {
		return nil, err
	}
	if tc != nil {
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	mech, err := c.Mechanism()
	if err != nil {
		return nil, err
	}
	if mech != nil {
		opts = append(opts, kgo.SASL(mech))
	}
	return opts, nil
}

// NewClient is the one constructor of Kafka clients in the repository: it applies the
// security options first and then the caller's options (role-specific: consumer group,
// producer settings, hooks). Callers must not pass SeedBrokers, DialTLSConfig or SASL.
func NewClient(c *Config, extra ...kgo.Opt) (*kgo.Client, error) {
	opts, err := c.SecurityOpts()
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	return cl, nil
}

// NewAdmin builds an admin client on a client from NewClient. Closing the returned
// admin's Close closes the underlying client.
func NewAdmin(c *Config, extra ...kgo.Opt) (*kadm.Client, error) {
	cl, err := NewClient(c, extra...)
	if err != nil {
		return nil, err
	}
	return kadm.NewClient(cl), nil
}

// ResetOffset maps KAFKA_AUTO_OFFSET_RESET to the consumer option.
func (c *Config) ResetOffset() kgo.Offset {
	if c.AutoOffsetReset == "latest" {
		return kgo.NewOffset().AtEnd()
	}
	return kgo.NewOffset().AtStart()
}
