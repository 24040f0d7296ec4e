package kafkaconf_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/internal/kafkatest"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

const (
	matrixUser     = "alice"
	matrixPassword = "Matrix-S3cret-pw"
)

// fromEnv builds the config only from KAFKA_* variables, as streamsvc does.
func fromEnv(t *testing.T, env map[string]string) *kafkaconf.Config {
	t.Helper()
	cfg, err := kafkaconf.FromLookup(func(k string) (string, bool) {
		if !strings.HasPrefix(k, "KAFKA_") {
			return "", false
		}
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		t.Fatalf("config from %v: %v", env, err)
	}
	return cfg
}

// roundTrip proves every client role of the repo works with cfg: a producer writes, a
// group consumer reads it back, an admin client lists the end offsets.
func roundTrip(t *testing.T, cfg *kafkaconf.Config, value string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := kafkaconf.Ping(ctx, cfg); err != nil {
		t.Fatalf("ping: %v", err)
	}
	prod, err := kafkaconf.NewClient(cfg, kgo.DefaultProduceTopic(cfg.Topic))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	if err := prod.ProduceSync(ctx, &kgo.Record{Value: []byte(value)}).FirstErr(); err != nil {
		t.Fatalf("producer: %v", kafkaconf.Classify(cfg, err))
	}
	cons, err := kafkaconf.NewClient(cfg, kgo.ConsumerGroup(cfg.GroupID), kgo.ConsumeTopics(cfg.Topic),
		kgo.ConsumeResetOffset(cfg.ResetOffset()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	fs := cons.PollFetches(ctx)
	if err := fs.Err0(); err != nil {
		t.Fatalf("consumer: %v", kafkaconf.Classify(cfg, err))
	}
	if recs := fs.Records(); len(recs) != 1 || string(recs[0].Value) != value {
		t.Fatalf("consumer read %d records, want the one with %q", len(recs), value)
	}
	if err := cons.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("consumer commit: %v", err)
	}
	adm, err := kafkaconf.NewAdmin(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ends, err := adm.ListEndOffsets(ctx, cfg.Topic)
	if err != nil {
		t.Fatalf("admin: %v", kafkaconf.Classify(cfg, err))
	}
	var total int64
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
	if total != 1 {
		t.Fatalf("admin: end offsets sum to %d, want 1", total)
	}
	lag, err := adm.Lag(ctx, cfg.GroupID)
	if err != nil {
		t.Fatalf("admin lag: %v", err)
	}
	if l := lag[cfg.GroupID]; l.FetchErr != nil || l.DescribeErr != nil || l.Lag.Total() != 0 {
		t.Fatalf("admin lag of %s after the commit: total %d, errors %v %v", cfg.GroupID, l.Lag.Total(), l.FetchErr, l.DescribeErr)
	}
}

// refused asserts that Ping with env fails with kind and a message containing every want.
func refused(t *testing.T, env map[string]string, kind error, want ...string) {
	t.Helper()
	cfg := fromEnv(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := kafkaconf.Ping(ctx, cfg)
	if err == nil {
		t.Fatalf("connect with %v: succeeded, want %v", redactEnv(env), kind)
	}
	msg := err.Error()
	if !errors.Is(err, kind) {
		t.Fatalf("connect with %v: error %q, want kind %v", redactEnv(env), msg, kind)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("connect with %v: error %q does not say %q", redactEnv(env), msg, w)
		}
	}
	for _, secret := range []string{matrixPassword, "wrong-password"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error shows a password: %q", msg)
		}
	}
}

func redactEnv(env map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		if strings.Contains(k, "PASSWORD") && !strings.HasSuffix(k, "_FILE") {
			v = "***"
		}
		out[k] = v
	}
	return out
}

func with(env map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
			continue
		}
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestSecurityMatrix(t *testing.T) {
	ca := kafkatest.NewCA(t)
	untrusted := kafkatest.NewCA(t) // another CA: its certificate signed nothing the broker has
	pwFile := filepath.Join(t.TempDir(), "sasl-password")
	if err := os.WriteFile(pwFile, []byte(matrixPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []struct {
		protocol, mechanism string
	}{
		{"plaintext", ""},
		{"ssl", ""},
		{"sasl_plaintext", "PLAIN"},
		{"sasl_ssl", "SCRAM-SHA-512"},
	} {
		t.Run(mode.protocol, func(t *testing.T) {
			c := kafkatest.NewSecure(t, kafkatest.Security{Protocol: mode.protocol, Mechanism: mode.mechanism,
				User: matrixUser, Password: matrixPassword, CA: ca}, kafkatest.Topic("dashstream-quality", 3))
			brokers := strings.Join(c.Addrs, ",")
			env := map[string]string{"KAFKA_BROKERS": brokers, "KAFKA_SECURITY_PROTOCOL": mode.protocol,
				"KAFKA_GROUP_ID": "matrix-" + mode.protocol}
			tlsOn := mode.protocol == "ssl" || mode.protocol == "sasl_ssl"
			saslOn := mode.mechanism != ""
			if tlsOn {
				env["KAFKA_SSL_CA_LOCATION"] = ca.CAFile
			}
			if saslOn {
				env["KAFKA_SASL_MECHANISM"] = mode.mechanism
				env["KAFKA_SASL_USERNAME"] = matrixUser
				env["KAFKA_SASL_PASSWORD"] = matrixPassword
			}
			roundTrip(t, fromEnv(t, env), "hello over "+mode.protocol)
			if saslOn {
				// The password from a file (a mounted secret) works the same.
				fileEnv := with(env, "KAFKA_SASL_PASSWORD", "", "KAFKA_SASL_PASSWORD_FILE", pwFile, "KAFKA_GROUP_ID", "matrix-file-"+mode.protocol)
				if err := kafkaconf.Ping(context.Background(), fromEnv(t, fileEnv)); err != nil {
					t.Fatalf("password from KAFKA_SASL_PASSWORD_FILE: %v", err)
				}
			}

			noSecurity := map[string]string{"KAFKA_BROKERS": brokers}
			switch {
			case tlsOn:
				refused(t, noSecurity, kafkaconf.ErrBrokerNeedsTLS, "requires TLS", "KAFKA_SECURITY_PROTOCOL=plaintext")
				refused(t, with(env, "KAFKA_SSL_CA_LOCATION", untrusted.CAFile), kafkaconf.ErrUntrustedCA,
					"not signed by a CA in KAFKA_SSL_CA_LOCATION", untrusted.CAFile)
			case saslOn:
				refused(t, noSecurity, kafkaconf.ErrBrokerNeedsSASL, "requires SASL authentication", "KAFKA_SECURITY_PROTOCOL=plaintext")
			}
			if saslOn {
				refused(t, with(env, "KAFKA_SASL_PASSWORD", "wrong-password"), kafkaconf.ErrAuthentication,
					"SASL authentication", `user "alice"`, mode.mechanism, "KAFKA_SASL_PASSWORD")
			}
			if tlsOn && !saslOn {
				// A TLS client against this TLS broker's plaintext sibling: the other direction.
				plain := kafkatest.New(t)
				refused(t, with(env, "KAFKA_BROKERS", strings.Join(plain.Addrs, ",")), kafkaconf.ErrBrokerNotTLS,
					"KAFKA_SECURITY_PROTOCOL=ssl does not match the listener")
			}
		})
	}
}

func TestPingUnreachable(t *testing.T) {
	c := kafkatest.New(t)
	addr := c.Addrs[0]
	c.Close() // nothing listens there any more
	err := kafkaconf.Ping(context.Background(), fromEnv(t, map[string]string{"KAFKA_BROKERS": addr}))
	if !errors.Is(err, kafkaconf.ErrBrokerUnreachable) || !strings.Contains(err.Error(), "KAFKA_BROKERS="+addr) {
		t.Fatalf("ping a closed port: %v, want an unreachable error naming KAFKA_BROKERS=%s", err, addr)
	}
}

// The broker's certificate names another host: https (the default) refuses it and says
// so; none accepts it but still verifies the chain.
func TestEndpointIdentification(t *testing.T) {
	ca := kafkatest.NewCA(t, "broker.invalid")
	c := kafkatest.NewSecure(t, kafkatest.Security{Protocol: "ssl", CA: ca}, kafkatest.Topic("dashstream-quality", 1))
	env := map[string]string{"KAFKA_BROKERS": strings.Join(c.Addrs, ","), "KAFKA_SECURITY_PROTOCOL": "ssl",
		"KAFKA_SSL_CA_LOCATION": ca.CAFile}
	refused(t, env, kafkaconf.ErrTLSHostname, "not valid for host", "127.0.0.1")
	none := with(env, "KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM", "none")
	roundTrip(t, fromEnv(t, with(none, "KAFKA_GROUP_ID", "endpoint-none")), "no host name check")
	refused(t, with(none, "KAFKA_SSL_CA_LOCATION", kafkatest.NewCA(t).CAFile), kafkaconf.ErrUntrustedCA,
		"not signed by a CA in KAFKA_SSL_CA_LOCATION")
}

// A broker that requires client certificates (mutual TLS): the client certificate and
// key from KAFKA_SSL_CERTIFICATE_LOCATION/KAFKA_SSL_KEY_LOCATION reach every client;
// without them the refusal says a client certificate is needed.
func TestMutualTLS(t *testing.T) {
	ca := kafkatest.NewCA(t)
	c := kafkatest.NewSecure(t, kafkatest.Security{Protocol: "sasl_ssl", CA: ca, MutualTLS: true,
		User: matrixUser, Password: matrixPassword}, kafkatest.Topic("dashstream-quality", 2))
	env := c.Env(map[string]string{"KAFKA_GROUP_ID": "mtls"})
	if env["KAFKA_SSL_CERTIFICATE_LOCATION"] != ca.ClientCertFile {
		t.Fatalf("Env lacks the client certificate: %v", redactEnv(env))
	}
	roundTrip(t, fromEnv(t, env), "mutual TLS")
	refused(t, with(env, "KAFKA_SSL_CERTIFICATE_LOCATION", "", "KAFKA_SSL_KEY_LOCATION", ""), kafkaconf.ErrTLSClientCert,
		"requires a client certificate", "KAFKA_SSL_CERTIFICATE_LOCATION")
	other := kafkatest.NewCA(t) // a client certificate the broker's CA did not sign
	refused(t, with(env, "KAFKA_SSL_CERTIFICATE_LOCATION", other.ClientCertFile, "KAFKA_SSL_KEY_LOCATION", other.ClientKeyFile),
		kafkaconf.ErrTLSClientCert, "rejected the client certificate", other.ClientCertFile)
}
