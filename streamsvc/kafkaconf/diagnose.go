package kafkaconf

import (
	"context"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Connection failure kinds. Classify and Ping return a *ConnError that wraps one of them
// (errors.Is) and the client's own error.
var (
	ErrBrokerUnreachable = errors.New("broker unreachable")
	ErrBrokerNeedsTLS    = errors.New("broker requires TLS")
	ErrBrokerNotTLS      = errors.New("broker does not speak TLS")
	ErrBrokerNeedsSASL   = errors.New("broker requires SASL authentication")
	ErrAuthentication    = errors.New("SASL authentication failed")
	ErrUntrustedCA       = errors.New("broker certificate not trusted")
	ErrTLSHostname       = errors.New("broker certificate does not match the host name")
	ErrTLSCertificate    = errors.New("broker certificate invalid")
	ErrTLSClientCert     = errors.New("broker requires a client certificate")
)

// ConnError explains why a client could not talk to the brokers in terms of the
// KAFKA_* variables to change. It never contains a secret.
type ConnError struct {
	Kind error  // one of the Err* kinds above
	Msg  string // what happened and which variable to check
	Err  error  // the client's error
}

func (e *ConnError) Error() string {
	if e.Err == nil {
		return e.Msg
	}
	return e.Msg + " (" + e.Err.Error() + ")"
}

// Unwrap returns the kind and the client's error.
func (e *ConnError) Unwrap() []error { return []error{e.Kind, e.Err} }

// Classify turns a client error into a *ConnError naming the cause and the variables to
// check, or returns err unchanged when it is not a connection or security failure.
func Classify(c *Config, err error) error {
	if err == nil {
		return nil
	}
	var ce *ConnError
	if errors.As(err, &ce) {
		return err
	}
	brokers := strings.Join(c.Brokers, ",")
	mk := func(kind error, format string, args ...any) error {
		return &ConnError{Kind: kind, Msg: fmt.Sprintf(format, args...), Err: err}
	}
	var (
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		certErr   x509.CertificateInvalidError
		firstEOF  *kgo.ErrFirstReadEOF
		kErr      *kerr.Error
	)
	switch {
	case errors.As(err, &unknownCA):
		return mk(ErrUntrustedCA, "TLS to %s: the broker's certificate is not signed by a CA in KAFKA_SSL_CA_LOCATION=%q (unset: the system CAs)", brokers, c.SSLCALocation)
	case errors.As(err, &hostErr):
		return mk(ErrTLSHostname, "TLS to %s: the broker's certificate is not valid for host %q; use the host name in the certificate in KAFKA_BROKERS (KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM=none skips only this check)", brokers, hostErr.Host)
	case errors.As(err, &certErr):
		return mk(ErrTLSCertificate, "TLS to %s: the broker's certificate is invalid", brokers)
	case strings.Contains(err.Error(), "tls: certificate required") ||
		c.SSLCertLocation == "" && strings.Contains(err.Error(), "tls: bad certificate"):
		return mk(ErrTLSClientCert, "TLS to %s: the broker requires a client certificate; set KAFKA_SSL_CERTIFICATE_LOCATION and KAFKA_SSL_KEY_LOCATION", brokers)
	case strings.Contains(err.Error(), "tls: bad certificate") || strings.Contains(err.Error(), "tls: unknown certificate authority"):
		return mk(ErrTLSClientCert, "TLS to %s: the broker rejected the client certificate KAFKA_SSL_CERTIFICATE_LOCATION=%q (not signed by a CA it trusts, or expired)", brokers, c.SSLCertLocation)
	case strings.Contains(err.Error(), "first record does not look like a TLS handshake"):
		return mk(ErrBrokerNotTLS, "TLS to %s: the broker answered without TLS, but KAFKA_SECURITY_PROTOCOL=%s; use %s", brokers, c.SecurityProtocol, withoutTLS(c.SecurityProtocol))
	case errors.As(err, &kErr) && (kErr == kerr.SaslAuthenticationFailed || kErr == kerr.IllegalSaslState):
		return mk(ErrAuthentication, "SASL authentication to %s as user %q with %s failed: wrong KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD", brokers, c.SASLUsername, c.SASLMechanism)
	case errors.As(err, &kErr) && kErr == kerr.UnsupportedSaslMechanism:
		return mk(ErrAuthentication, "SASL to %s: the broker does not accept KAFKA_SASL_MECHANISM=%s", brokers, c.SASLMechanism)
	case errors.As(err, &firstEOF) && strings.Contains(err.Error(), "requires TLS") && !c.UsesTLS():
		return mk(ErrBrokerNeedsTLS, "connect to %s: the broker requires TLS but KAFKA_SECURITY_PROTOCOL=%s; use %s with KAFKA_SSL_CA_LOCATION", brokers, c.SecurityProtocol, withTLS(c.SecurityProtocol))
	case errors.As(err, &firstEOF) && !c.UsesSASL():
		return mk(ErrBrokerNeedsSASL, "connect to %s: the broker closed the connection: it requires SASL authentication but KAFKA_SECURITY_PROTOCOL=%s; use %s with KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD", brokers, c.SecurityProtocol, withSASL(c.SecurityProtocol))
	case c.UsesSASL() && (errors.Is(err, io.EOF) || errors.As(err, &firstEOF)):
		return mk(ErrAuthentication, "SASL authentication to %s as user %q with %s failed: the broker closed the connection; wrong KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD, or the user has no %s credentials", brokers, c.SASLUsername, c.SASLMechanism, c.SASLMechanism)
	case errors.Is(err, syscall.ECONNREFUSED) || isDNSError(err):
		return mk(ErrBrokerUnreachable, "connect to KAFKA_BROKERS=%s: no broker answers", brokers)
	}
	return err
}

func isDNSError(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

func withTLS(p string) string {
	if p == ProtocolSASLPlaintext {
		return ProtocolSASLSSL
	}
	return ProtocolSSL + " or " + ProtocolSASLSSL
}

func withoutTLS(p string) string {
	if p == ProtocolSASLSSL {
		return ProtocolSASLPlaintext
	}
	return ProtocolPlaintext + " or " + ProtocolSASLPlaintext
}

func withSASL(p string) string {
	if p == ProtocolSSL {
		return ProtocolSASLSSL
	}
	return ProtocolSASLPlaintext + " or " + ProtocolSASLSSL
}

// Ping connects to the brokers with c's security settings and reports, as a *ConnError
// where it can tell, why that fails. Without a deadline on ctx it gives up after 10s.
func Ping(ctx context.Context, c *Config) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	cl, err := NewClient(c, kgo.RequestRetries(1))
	if err != nil {
		return err
	}
	defer cl.Close()
	pingCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	notTLS := make(chan bool, 1)
	if c.UsesTLS() && len(c.Brokers) > 0 {
		// A TLS client hello to a plaintext listener gets no answer (the broker reads it
		// as the start of a huge request and waits): if the handshake takes long, check
		// whether the broker speaks plaintext Kafka and stop waiting if so.
		go func() {
			t := time.NewTimer(time.Second)
			defer t.Stop()
			select {
			case <-t.C:
			case <-pingCtx.Done():
				return
			}
			if speaksPlainKafka(c.Brokers[0]) {
				notTLS <- true
				cancel()
			}
		}()
	}
	err = cl.Ping(pingCtx)
	if err == nil {
		return nil
	}
	select {
	case <-notTLS:
		return &ConnError{Kind: ErrBrokerNotTLS, Err: err, Msg: fmt.Sprintf(
			"TLS to %s: no TLS answer, and the broker answers plaintext Kafka requests; KAFKA_SECURITY_PROTOCOL=%s does not match the listener (use %s)",
			strings.Join(c.Brokers, ","), c.SecurityProtocol, withoutTLS(c.SecurityProtocol))}
	default:
	}
	return Classify(c, err)
}

// speaksPlainKafka reports whether addr answers a plaintext ApiVersions v0 request.
func speaksPlainKafka(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 0
	frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("kafkaconf-ping")).AppendRequest(nil, req, 1)
	if _, err := conn.Write(frame); err != nil {
		return false
	}
	var hdr [8]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return false
	}
	size := binary.BigEndian.Uint32(hdr[:4])
	return size >= 4 && size < 1<<20 && binary.BigEndian.Uint32(hdr[4:]) == 1
}
