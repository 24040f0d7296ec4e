package kafkaconf

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"slices"
	"strings"
)

// Secret holds a value that must never be printed: String, GoString, Format, JSON and slog
// all render it as "[redacted]".
type Secret struct{ v string }

// NewSecret wraps v.
func NewSecret(v string) Secret { return Secret{v: v} }

// Reveal returns the value; call it only where the value is handed to a client.
func (s Secret) Reveal() string { return s.v }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s.v != "" }

func (s Secret) String() string   { return redact(s.v) }
func (s Secret) GoString() string { return redact(s.v) }

// Format renders the redacted form for every verb, so %v, %+v, %#v, %s and %q are safe.
func (s Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, redact(s.v)) }

// MarshalJSON renders the redacted form.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redact(s.v) + `"`), nil }

// MarshalText renders the redacted form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redact(s.v)), nil }

// LogValue renders the redacted form for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redact(s.v)) }

func redact(v string) string {
	if v == "" {
		return ""
	}
	return "[redacted]"
}

// Config is streamsvc's validated environment.
type Config struct {
	Brokers          []string
	Topic            string
	GroupID          string
	GroupIDSet       bool // KAFKA_GROUP_ID was set explicitly
	AutoOffsetReset  string
	DLQTopic         string
	DLQMode          string
	SecurityProtocol string
	SASLMechanism    string
	SASLUsername     string
	SASLPassword     Secret
	SSLCALocation    string
	SSLCertLocation  string
	SSLKeyLocation   string
	SSLEndpointIdent string
	HTTPAddr         string
	WSToken          Secret
	WSOrigins        []string
}

// Protocol values.
const (
	ProtocolPlaintext     = "plaintext"
	ProtocolSSL           = "ssl"
	ProtocolSASLPlaintext = "sasl_plaintext"
	ProtocolSASLSSL       = "sasl_ssl"
)

// UsesTLS reports whether the protocol encrypts the connection.
func (c *Config) UsesTLS() bool {
	return c.SecurityProtocol == ProtocolSSL || c.SecurityProtocol == ProtocolSASLSSL
}

// UsesSASL reports whether the protocol authenticates with SASL.
func (c *Config) UsesSASL() bool {
	return c.SecurityProtocol == ProtocolSASLPlaintext || c.SecurityProtocol == ProtocolSASLSSL
}

// String summarises the config without secrets.
func (c *Config) String() string {
	s := fmt.Sprintf("brokers=%s topic=%s group=%s reset=%s security=%s",
		strings.Join(c.Brokers, ","), c.Topic, c.GroupID, c.AutoOffsetReset, c.SecurityProtocol)
	if c.UsesSASL() {
		s += fmt.Sprintf(" sasl=%s user=%s password=%s", c.SASLMechanism, c.SASLUsername, c.SASLPassword)
	}
	return s
}

// LogValue renders the config for log/slog without secrets.
func (c *Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// VarError is one invalid variable. Its message names the variable and the bad value
// (never the value of a secret).
type VarError struct {
	Var   string
	Value string // empty for secrets
	Msg   string
}

// Is makes every VarError match ErrInvalid.
func (e *VarError) Is(target error) bool { return target == ErrInvalid }

func (e *VarError) Error() string {
	if e.Value == "" {
		return e.Var + ": " + e.Msg
	}
	return fmt.Sprintf("%s=%q: %s", e.Var, e.Value, e.Msg)
}

// ErrInvalid matches every validation error (errors.Is), each a *VarError.
var ErrInvalid = errors.New("invalid configuration")

// LookupFunc reads one variable, like os.LookupEnv.
type LookupFunc func(string) (string, bool)

// FromEnv reads and validates the configuration from the process environment.
func FromEnv() (*Config, error) { return FromLookup(os.LookupEnv) }

// FromMap reads the configuration from a map (tests, embedded mode).
func FromMap(m map[string]string) (*Config, error) {
	return FromLookup(func(k string) (string, bool) { v, ok := m[k]; return v, ok })
}

// FromLookup reads and validates the configuration. Every invalid value yields one
// *VarError (matching ErrInvalid); all of them are returned joined (errors.Join).
func FromLookup(lookup LookupFunc) (*Config, error) {
	var errs []error
	get := func(name string) string {
		v, ok := lookup(name)
		row, _ := Lookup(name)
		if !ok || strings.TrimSpace(v) == "" {
			return row.Default
		}
		v = strings.TrimSpace(v)
		if len(row.Allowed) > 0 {
			match := ""
			for _, a := range row.Allowed {
				if strings.EqualFold(a, v) {
					match = a
				}
			}
			if match == "" {
				shown := v
				if row.Secret {
					shown = ""
				}
				errs = append(errs, &VarError{Var: name, Value: shown, Msg: "want " + orList(row.Allowed)})
				return row.Default
			}
			return match
		}
		return v
	}
	c := &Config{}
	for _, b := range strings.Split(get("KAFKA_BROKERS"), ",") {
		b = strings.TrimSpace(b)
		if b == "" {
			continue
		}
		if !validHostPort(b) {
			errs = append(errs, &VarError{Var: "KAFKA_BROKERS", Value: b, Msg: "want host:port"})
			continue
		}
		c.Brokers = append(c.Brokers, b)
	}
	if len(c.Brokers) == 0 && len(errs) == 0 {
		errs = append(errs, &VarError{Var: "KAFKA_BROKERS", Msg: "no broker given"})
	}
	c.Topic = get("KAFKA_TOPIC")
	if err := validTopic(c.Topic); err != nil {
		errs = append(errs, &VarError{Var: "KAFKA_TOPIC", Value: c.Topic, Msg: err.Error()})
	}
	if v, ok := lookup("KAFKA_GROUP_ID"); ok && strings.TrimSpace(v) != "" {
		c.GroupIDSet = true
	}
	c.GroupID = get("KAFKA_GROUP_ID")
	c.AutoOffsetReset = get("KAFKA_AUTO_OFFSET_RESET")
	c.DLQTopic = get("KAFKA_DLQ_TOPIC")
	if err := validTopic(c.DLQTopic); err != nil {
		errs = append(errs, &VarError{Var: "KAFKA_DLQ_TOPIC", Value: c.DLQTopic, Msg: err.Error()})
	} else if c.DLQTopic == c.Topic {
		errs = append(errs, &VarError{Var: "KAFKA_DLQ_TOPIC", Value: c.DLQTopic, Msg: "must differ from KAFKA_TOPIC"})
	}
	c.DLQMode = get("KAFKA_DLQ_MODE")
	nErrs := len(errs)
	c.SecurityProtocol = get("KAFKA_SECURITY_PROTOCOL")
	protoOK := len(errs) == nErrs // an invalid protocol makes the checks below guesswork
	c.SASLMechanism = get("KAFKA_SASL_MECHANISM")
	c.SASLUsername = get("KAFKA_SASL_USERNAME")
	pw, _ := lookup("KAFKA_SASL_PASSWORD")
	pwFile := get("KAFKA_SASL_PASSWORD_FILE")
	pwOK := true
	switch {
	case pw != "" && pwFile != "":
		pwOK = false
		errs = append(errs, invalid("KAFKA_SASL_PASSWORD_FILE", pwFile, "set either KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both"))
	case pwFile != "":
		data, err := os.ReadFile(pwFile)
		switch {
		case err != nil:
			pwOK = false
			errs = append(errs, invalid("KAFKA_SASL_PASSWORD_FILE", pwFile, "cannot read: "+pathErrReason(err)))
		case strings.TrimRight(string(data), "\r\n") == "":
			pwOK = false
			errs = append(errs, invalid("KAFKA_SASL_PASSWORD_FILE", pwFile, "the file is empty"))
		default:
			c.SASLPassword = NewSecret(strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r"))
		}
	default:
		c.SASLPassword = NewSecret(pw)
	}
	if protoOK && c.UsesSASL() {
		if c.SASLUsername == "" {
			errs = append(errs, invalid("KAFKA_SASL_USERNAME", "", "required with KAFKA_SECURITY_PROTOCOL="+c.SecurityProtocol))
		}
		if pwOK && !c.SASLPassword.IsSet() {
			errs = append(errs, invalid("KAFKA_SASL_PASSWORD", "", "required with KAFKA_SECURITY_PROTOCOL="+c.SecurityProtocol+" (or KAFKA_SASL_PASSWORD_FILE)"))
		}
	}
	if protoOK && !c.UsesSASL() {
		// Credentials that no client would use mean the security config does not reach
		// the clients: refuse rather than connect without it.
		for _, name := range []string{"KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD", "KAFKA_SASL_PASSWORD_FILE"} {
			if v, ok := lookup(name); ok && strings.TrimSpace(v) != "" {
				shown := strings.TrimSpace(v)
				if name == "KAFKA_SASL_PASSWORD" {
					shown = ""
				}
				errs = append(errs, invalid(name, shown, "is set but KAFKA_SECURITY_PROTOCOL="+c.SecurityProtocol+" does not use SASL; use sasl_plaintext or sasl_ssl, or unset it"))
			}
		}
	}
	c.SSLCALocation = get("KAFKA_SSL_CA_LOCATION")
	c.SSLCertLocation = get("KAFKA_SSL_CERTIFICATE_LOCATION")
	c.SSLKeyLocation = get("KAFKA_SSL_KEY_LOCATION")
	c.SSLEndpointIdent = get("KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM")
	filesOK := true
	for _, f := range []struct{ name, path string }{
		{"KAFKA_SSL_CA_LOCATION", c.SSLCALocation},
		{"KAFKA_SSL_CERTIFICATE_LOCATION", c.SSLCertLocation},
		{"KAFKA_SSL_KEY_LOCATION", c.SSLKeyLocation},
	} {
		if f.path == "" {
			continue
		}
		if protoOK && !c.UsesTLS() {
			filesOK = false
			errs = append(errs, invalid(f.name, f.path, "is set but KAFKA_SECURITY_PROTOCOL="+c.SecurityProtocol+" does not use TLS; use ssl or sasl_ssl, or unset it"))
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			filesOK = false
			errs = append(errs, invalid(f.name, f.path, "cannot read: "+pathErrReason(err)))
		}
	}
	switch {
	case !filesOK:
	case c.SSLCertLocation != "" && c.SSLKeyLocation == "":
		errs = append(errs, invalid("KAFKA_SSL_CERTIFICATE_LOCATION", c.SSLCertLocation, "needs KAFKA_SSL_KEY_LOCATION (the client certificate's key)"))
	case c.SSLKeyLocation != "" && c.SSLCertLocation == "":
		errs = append(errs, invalid("KAFKA_SSL_KEY_LOCATION", c.SSLKeyLocation, "needs KAFKA_SSL_CERTIFICATE_LOCATION (the key's client certificate)"))
	case protoOK && c.UsesTLS():
		// Parse the files now so a bad file stops start-up with the variable's name,
		// not the first connection.
		if _, err := c.TLSConfig(); err != nil {
			var ve *VarError
			if errors.As(err, &ve) {
				errs = append(errs, ve)
			} else {
				errs = append(errs, fmt.Errorf("%w: %w", ErrInvalid, err))
			}
		}
	}
	c.HTTPAddr = get("STREAMSVC_HTTP_ADDR")
	if !validHostPort(c.HTTPAddr) {
		errs = append(errs, &VarError{Var: "STREAMSVC_HTTP_ADDR", Value: c.HTTPAddr, Msg: "want host:port"})
	}
	tok, _ := lookup("STREAMSVC_WS_TOKEN")
	c.WSToken = NewSecret(strings.TrimSpace(tok))
	for _, o := range strings.Split(get("STREAMSVC_WS_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			// Origin patterns are matched with path.Match (coder/websocket).
			if _, err := path.Match(o, ""); err != nil {
				errs = append(errs, invalid("STREAMSVC_WS_ORIGINS", o, "not a valid origin pattern (path.Match syntax: *, ?, [a-z])"))
				continue
			}
			c.WSOrigins = append(c.WSOrigins, o)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// invalid returns one VarError (which matches ErrInvalid).
func invalid(name, value, msg string) error {
	return &VarError{Var: name, Value: value, Msg: msg}
}

func orList(vs []string) string {
	switch len(vs) {
	case 1:
		return vs[0]
	case 2:
		return vs[0] + " or " + vs[1]
	}
	return strings.Join(vs[:len(vs)-1], ", ") + " or " + vs[len(vs)-1]
}

func validHostPort(s string) bool {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		return false
	}
	for _, r := range s[i+1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return !strings.ContainsAny(s, " /")
}

func validTopic(t string) error {
	if t == "" {
		return errors.New("empty topic name")
	}
	if len(t) > 249 {
		return errors.New("longer than 249 characters")
	}
	if t == "." || t == ".." {
		return errors.New("not a valid topic name")
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || slices.Contains([]rune{'.', '_', '-'}, r)) {
			return fmt.Errorf("character %q not allowed (want [a-zA-Z0-9._-])", r)
		}
	}
	return nil
}

func pathErrReason(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
