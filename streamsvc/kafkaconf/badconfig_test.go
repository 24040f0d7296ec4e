package kafkaconf_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/internal/kafkatest"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

const leakPassword = "Leak-Canary-pw-93f1"

// validEnv is a complete sasl_ssl configuration with a client certificate: every
// variable set to a good value, so each bad value below is the only problem.
func validEnv(t *testing.T) map[string]string {
	t.Helper()
	ca := kafkatest.NewCA(t)
	return map[string]string{
		"KAFKA_BROKERS":                               "127.0.0.1:9092,localhost:9093",
		"KAFKA_TOPIC":                                 "dashstream-quality",
		"KAFKA_GROUP_ID":                              "streamsvc",
		"KAFKA_AUTO_OFFSET_RESET":                     "earliest",
		"KAFKA_DLQ_TOPIC":                             "dashstream-quality-dlq",
		"KAFKA_DLQ_MODE":                              "fail-closed",
		"KAFKA_SECURITY_PROTOCOL":                     "sasl_ssl",
		"KAFKA_SASL_MECHANISM":                        "SCRAM-SHA-512",
		"KAFKA_SASL_USERNAME":                         "alice",
		"KAFKA_SASL_PASSWORD":                         leakPassword,
		"KAFKA_SSL_CA_LOCATION":                       ca.CAFile,
		"KAFKA_SSL_CERTIFICATE_LOCATION":              ca.CertFile,
		"KAFKA_SSL_KEY_LOCATION":                      ca.KeyFile,
		"KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM": "https",
		"STREAMSVC_HTTP_ADDR":                         "127.0.0.1:8080",
		"STREAMSVC_WS_TOKEN":                          "ws-token-secret",
		"STREAMSVC_WS_ORIGINS":                        "example.com,*.example.org",
	}
}

// badCase is one invalid setting: set replaces variables ("" deletes one); the error
// must name variable and, unless it is a secret or absent, show value, and say want.
type badCase struct {
	set   map[string]string
	value string // the bad value the message must show; "" for secrets and absent values
	want  string
}

func one(name, value, want string) badCase {
	return badCase{set: map[string]string{name: value}, value: value, want: want}
}

// freeForm lists the variables that accept any value: no value of theirs is invalid.
var freeForm = map[string]bool{"KAFKA_GROUP_ID": true, "STREAMSVC_WS_TOKEN": true}

func badCases(t *testing.T, env map[string]string) map[string][]badCase {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	empty := filepath.Join(dir, "empty")
	for path, data := range map[string]string{notPEM: "just text\n", empty: "\n"} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	missing := filepath.Join(dir, "missing.pem")
	return map[string][]badCase{
		"KAFKA_BROKERS": {
			one("KAFKA_BROKERS", "kafka", "want host:port"),
			one("KAFKA_BROKERS", "kafka:port", "want host:port"),
			one("KAFKA_BROKERS", "kafka:9092/x", "want host:port"),
			{set: map[string]string{"KAFKA_BROKERS": " , "}, want: "no broker given"},
		},
		"KAFKA_TOPIC": {
			one("KAFKA_TOPIC", "bad topic", "not allowed"),
			one("KAFKA_TOPIC", "..", "not a valid topic name"),
			one("KAFKA_TOPIC", strings.Repeat("t", 250), "longer than 249"),
		},
		"KAFKA_AUTO_OFFSET_RESET": {
			one("KAFKA_AUTO_OFFSET_RESET", "newest", "want earliest or latest"),
			one("KAFKA_AUTO_OFFSET_RESET", "smallest", "want earliest or latest"),
		},
		"KAFKA_DLQ_TOPIC": {
			one("KAFKA_DLQ_TOPIC", "dlq/topic", "not allowed"),
			one("KAFKA_DLQ_TOPIC", "dashstream-quality", "must differ from KAFKA_TOPIC"),
		},
		"KAFKA_DLQ_MODE": {
			one("KAFKA_DLQ_MODE", "drop", "want fail-closed or best-effort"),
		},
		"KAFKA_SECURITY_PROTOCOL": {
			one("KAFKA_SECURITY_PROTOCOL", "SASL-SSL", "want plaintext, ssl, sasl_plaintext or sasl_ssl"),
			one("KAFKA_SECURITY_PROTOCOL", "tls", "want plaintext, ssl, sasl_plaintext or sasl_ssl"),
		},
		"KAFKA_SASL_MECHANISM": {
			one("KAFKA_SASL_MECHANISM", "GSSAPI", "want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"),
			one("KAFKA_SASL_MECHANISM", "OAUTHBEARER", "want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"),
		},
		"KAFKA_SASL_USERNAME": {
			{set: map[string]string{"KAFKA_SASL_USERNAME": ""}, want: "required with KAFKA_SECURITY_PROTOCOL=sasl_ssl"},
			{set: map[string]string{"KAFKA_SECURITY_PROTOCOL": "ssl", "KAFKA_SASL_PASSWORD": "", "KAFKA_SASL_MECHANISM": ""},
				value: "alice", want: "does not use SASL"},
		},
		"KAFKA_SASL_PASSWORD": {
			{set: map[string]string{"KAFKA_SASL_PASSWORD": ""}, want: "required with KAFKA_SECURITY_PROTOCOL=sasl_ssl"},
			{set: map[string]string{"KAFKA_SECURITY_PROTOCOL": "ssl", "KAFKA_SASL_USERNAME": ""}, want: "does not use SASL"},
		},
		"KAFKA_SASL_PASSWORD_FILE": {
			{set: map[string]string{"KAFKA_SASL_PASSWORD": "", "KAFKA_SASL_PASSWORD_FILE": missing}, value: missing, want: "cannot read: no such file or directory"},
			{set: map[string]string{"KAFKA_SASL_PASSWORD": "", "KAFKA_SASL_PASSWORD_FILE": empty}, value: empty, want: "the file is empty"},
			{set: map[string]string{"KAFKA_SASL_PASSWORD_FILE": empty}, value: empty, want: "not both"},
		},
		"KAFKA_SSL_CA_LOCATION": {
			one("KAFKA_SSL_CA_LOCATION", missing, "cannot read: no such file or directory"),
			one("KAFKA_SSL_CA_LOCATION", notPEM, "no PEM certificate found"),
			{set: map[string]string{"KAFKA_SECURITY_PROTOCOL": "sasl_plaintext", "KAFKA_SSL_CERTIFICATE_LOCATION": "", "KAFKA_SSL_KEY_LOCATION": ""},
				value: env["KAFKA_SSL_CA_LOCATION"], want: "does not use TLS"},
		},
		"KAFKA_SSL_CERTIFICATE_LOCATION": {
			one("KAFKA_SSL_CERTIFICATE_LOCATION", missing, "cannot read: no such file or directory"),
			one("KAFKA_SSL_CERTIFICATE_LOCATION", notPEM, "cannot load certificate/key pair"),
			{set: map[string]string{"KAFKA_SSL_KEY_LOCATION": ""}, value: env["KAFKA_SSL_CERTIFICATE_LOCATION"], want: "needs KAFKA_SSL_KEY_LOCATION"},
		},
		"KAFKA_SSL_KEY_LOCATION": {
			one("KAFKA_SSL_KEY_LOCATION", missing, "cannot read: no such file or directory"),
			{set: map[string]string{"KAFKA_SSL_CERTIFICATE_LOCATION": ""}, value: env["KAFKA_SSL_KEY_LOCATION"], want: "needs KAFKA_SSL_CERTIFICATE_LOCATION"},
		},
		"KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM": {
			one("KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM", "hostname", "want https or none"),
		},
		"STREAMSVC_HTTP_ADDR": {
			one("STREAMSVC_HTTP_ADDR", "8080", "want host:port"),
			one("STREAMSVC_HTTP_ADDR", "localhost", "want host:port"),
		},
		"STREAMSVC_WS_ORIGINS": {
			one("STREAMSVC_WS_ORIGINS", "[a-", "not a valid origin pattern"),
		},
	}
}

// errorVar is the variable a bad case is about: the only one it sets to a value, or the
// table key.
func TestEveryInvalidValueGivesOneClearError(t *testing.T) {
	env := validEnv(t)
	if _, err := kafkaconf.FromMap(env); err != nil {
		t.Fatalf("the valid environment is rejected: %v", err)
	}
	cases := badCases(t, env)
	for _, v := range kafkaconf.Table {
		if freeForm[v.Name] {
			if len(cases[v.Name]) > 0 {
				t.Errorf("%s is listed as free-form but has invalid values", v.Name)
			}
			continue
		}
		if len(cases[v.Name]) == 0 {
			t.Errorf("%s has no invalid-value case: add one to badCases (or to freeForm if it accepts anything)", v.Name)
		}
		for _, allowed := range v.Allowed {
			// Accepted values of an enumeration pass, in any case.
			m := with(env, v.Name, strings.ToUpper(allowed))
			if v.Name == "KAFKA_SECURITY_PROTOCOL" && !strings.HasPrefix(allowed, "sasl_") {
				m = with(m, "KAFKA_SASL_USERNAME", "", "KAFKA_SASL_PASSWORD", "")
			}
			if v.Name == "KAFKA_SECURITY_PROTOCOL" && !strings.HasSuffix(allowed, "ssl") {
				m = with(m, "KAFKA_SSL_CA_LOCATION", "", "KAFKA_SSL_CERTIFICATE_LOCATION", "", "KAFKA_SSL_KEY_LOCATION", "")
			}
			if _, err := kafkaconf.FromMap(m); err != nil {
				t.Errorf("%s=%s is allowed but rejected: %v", v.Name, strings.ToUpper(allowed), err)
			}
		}
	}
	for name, list := range cases {
		row, ok := kafkaconf.Lookup(name)
		if !ok {
			t.Errorf("bad case for %s, which is not in the table", name)
			continue
		}
		for _, bc := range list {
			m := env
			for k, val := range bc.set {
				m = with(m, k, val)
			}
			_, err := kafkaconf.FromMap(m)
			if err == nil {
				t.Errorf("%s with %v: accepted, want an error", name, bc.set)
				continue
			}
			msg := err.Error()
			if !errors.Is(err, kafkaconf.ErrInvalid) {
				t.Errorf("%s: error %q does not wrap ErrInvalid", name, msg)
			}
			if n := countVarErrors(err); n != 1 {
				t.Errorf("%s with %v: %d errors, want exactly one:\n%s", name, bc.set, n, msg)
			}
			var ve *kafkaconf.VarError
			if !errors.As(err, &ve) || ve.Var != name {
				t.Errorf("%s with %v: error %q is not about %s", name, bc.set, msg, name)
			}
			if !strings.HasPrefix(msg, name) {
				t.Errorf("%s: error %q does not start with the variable name", name, msg)
			}
			if bc.value != "" && !row.Secret && !strings.Contains(msg, fmt.Sprintf("%q", bc.value)) {
				t.Errorf("%s: error %q does not quote the bad value %q", name, msg, bc.value)
			}
			if !strings.Contains(msg, bc.want) {
				t.Errorf("%s with %v: error %q does not say %q", name, bc.set, msg, bc.want)
			}
			if strings.Contains(msg, leakPassword) {
				t.Errorf("%s: error shows the SASL password: %q", name, msg)
			}
		}
	}
}

func countVarErrors(err error) int {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		n := 0
		for _, e := range j.Unwrap() {
			n += countVarErrors(e)
		}
		return n
	}
	var ve *kafkaconf.VarError
	if errors.As(err, &ve) {
		return 1
	}
	return 0
}

// TestPasswordNeverPrinted renders a configuration, its errors and its logs every way a
// program might and looks for the password and the WebSocket token.
func TestPasswordNeverPrinted(t *testing.T) {
	env := validEnv(t)
	secrets := []string{leakPassword, env["STREAMSVC_WS_TOKEN"]}
	cfg, err := kafkaconf.FromMap(env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SASLPassword.Reveal() != leakPassword {
		t.Fatal("the password does not reach the config")
	}
	var out bytes.Buffer
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		fmt.Fprintf(&out, f+"\n", cfg)
		fmt.Fprintf(&out, f+"\n", *cfg)
		fmt.Fprintf(&out, f+"\n", cfg.SASLPassword)
	}
	out.WriteString(cfg.String())
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(js)
	for _, h := range []slog.Handler{slog.NewTextHandler(&out, nil), slog.NewJSONHandler(&out, nil)} {
		log := slog.New(h)
		log.Info("config", "cfg", cfg, "password", cfg.SASLPassword, "env", cfg.SASLPassword)
		log.Info("config value", slog.Any("cfg", *cfg))
	}
	// Errors of every kind that could be near the password.
	for _, m := range []map[string]string{
		with(env, "KAFKA_SASL_MECHANISM", "NOPE"),
		with(env, "KAFKA_SASL_USERNAME", ""),
		with(env, "KAFKA_SECURITY_PROTOCOL", "plaintext"),
		with(env, "KAFKA_SASL_PASSWORD_FILE", "/nonexistent"),
		with(env, "KAFKA_BROKERS", "bad"),
	} {
		if _, err := kafkaconf.FromMap(m); err != nil {
			fmt.Fprintf(&out, "%v\n%+v\n", err, err)
			slog.New(slog.NewTextHandler(&out, nil)).Error("config", "err", err)
		} else {
			t.Errorf("FromMap accepted an invalid environment")
		}
	}
	for _, s := range secrets {
		if strings.Contains(out.String(), s) {
			t.Fatalf("a secret appears in printed output:\n%s", out.String())
		}
	}
	if !strings.Contains(out.String(), "[redacted]") {
		t.Fatalf("the output never shows [redacted]; did the secret fields disappear?\n%s", out.String())
	}
}

// TestClientAndBrokerLogsNeverShowPassword runs a PLAIN login (the password travels as
// is) with debug logging on the client and on the broker, once right and once wrong.
func TestClientAndBrokerLogsNeverShowPassword(t *testing.T) {
	var brokerLog, clientLog syncBuffer
	c := kafkatest.NewSecure(t, kafkatest.Security{Protocol: "sasl_ssl", Mechanism: "PLAIN", User: "alice", Password: leakPassword},
		kafkatest.Topic("dashstream-quality", 1), kfake.WithLogger(kfake.BasicLogger(&brokerLog, kfake.LogLevelDebug)))
	wrong := "Wrong-" + leakPassword
	for _, pw := range []string{leakPassword, wrong} {
		cfg, err := kafkaconf.FromMap(c.Env(map[string]string{"KAFKA_SASL_PASSWORD": pw}))
		if err != nil {
			t.Fatal(err)
		}
		cl, err := kafkaconf.NewClient(cfg, kgo.WithLogger(kgo.BasicLogger(&clientLog, kgo.LogLevelDebug, nil)))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = cl.Ping(ctx)
		cancel()
		cl.Close()
		if (err == nil) != (pw == leakPassword) {
			t.Fatalf("ping with the %s password: %v", map[bool]string{true: "right", false: "wrong"}[pw == leakPassword], err)
		}
		fmt.Fprintf(&clientLog, "%v\n", kafkaconf.Classify(cfg, err))
	}
	if clientLog.Len() == 0 || brokerLog.Len() == 0 {
		t.Fatalf("no logs captured (client %d bytes, broker %d bytes)", clientLog.Len(), brokerLog.Len())
	}
	for name, log := range map[string]*syncBuffer{"client": &clientLog, "broker": &brokerLog} {
		if strings.Contains(log.String(), leakPassword) {
			t.Fatalf("the %s log shows a password:\n%s", name, log.String())
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
func (s *syncBuffer) Len() int       { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Len() }
