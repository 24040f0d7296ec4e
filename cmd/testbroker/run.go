package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/streamaudit/streamaudit/internal/testbroker"
)

var errUsage = errors.New("usage")

// Environment variables that set flag defaults (handy in containers).
const (
	envDataDir    = "TESTBROKER_DATA_DIR"
	envSyncWrites = "TESTBROKER_SYNC_WRITES"
)

// envBool reads a boolean environment variable; unset or empty is false.
func envBool(name string) (bool, error) {
	v := os.Getenv(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want true or false", name, v)
	}
	return b, nil
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// secretListFlag collects -user values; it is parsed after flag.Parse because the flag
// package quotes a rejected value in its error, and these values hold passwords.
type secretListFlag []string

func (u *secretListFlag) String() string     { return "" }
func (u *secretListFlag) Set(s string) error { *u = append(*u, s); return nil }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("testbroker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		o         testbroker.Options
		topics    listFlag
		users     secretListFlag
		ports     = fs.String("ports", "", "comma-separated broker ports, one broker each (default: -brokers random ports)")
		cert      = fs.String("tls-cert", "", "PEM server certificate: serve TLS on every broker port (needs -tls-key)")
		key       = fs.String("tls-key", "", "PEM private key of -tls-cert")
		clientCA  = fs.String("tls-client-ca", "", "PEM CA file: require client certificates it signed (mutual TLS; needs -tls-cert)")
		control   = fs.String("control", "", "address of the control HTTP API (faults, state), e.g. 127.0.0.1:9644; loopback only unless -listen is a wildcard; off when empty")
		logLevel  = fs.String("log", "none", "kfake log level on stderr: none, error, warn, info or debug")
		usersFile = fs.String("users-file", "", "file of SASL users, one MECH:user:password a line (# comments); keeps passwords out of the process list")
	)
	fs.StringVar(&o.Listen, "listen", "127.0.0.1", "host the brokers bind; a wildcard (0.0.0.0) needs -advertise")
	fs.StringVar(&o.Advertise, "advertise", "", "host clients are told to connect to (default: -listen)")
	fs.IntVar(&o.Brokers, "brokers", 1, "number of brokers when -ports is not given")
	fs.Var(&topics, "topic", "topic to create as name:partitions (repeatable)")
	fs.BoolVar(&o.SASL, "sasl", false, "require SASL authentication (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) with the -user accounts")
	fs.Var(&users, "user", "SASL user as MECH:user:password (repeatable); MECH is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	fs.Int64Var(&o.Retention.Bytes, "retention-bytes", 64<<20, "retention.bytes per partition: older data is deleted beyond it (0: unlimited)")
	fs.DurationVar(&o.Retention.Duration, "retention", 0, "retention.ms as a duration, e.g. 1h (0: 7 days)")
	fs.IntVar(&o.Retention.SegmentBytes, "segment-bytes", 1<<20, "segment.bytes: retention deletes whole segments, so keep it small")
	fs.DurationVar(&o.Retention.CleanerBackoff, "cleaner-backoff", time.Second, "log.cleaner.backoff.ms: how often retention runs")
	fs.BoolVar(&o.AutoCreateTopics, "auto-create-topics", false, "let clients create topics through metadata requests")
	fs.StringVar(&o.DataDir, "data-dir", os.Getenv(envDataDir), "persist topics, records and committed offsets in this directory and restore them on the next start with it (env "+envDataDir+"; default: RAM only)")
	syncDefault, err := envBool(envSyncWrites)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	fs.BoolVar(&o.SyncWrites, "sync-writes", syncDefault, "fsync every produced batch and offset commit (env "+envSyncWrites+"; needs -data-dir; default false: the page cache, which survives the process being killed)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	for _, t := range topics {
		tp, err := testbroker.ParseTopic(t)
		if err != nil {
			return fmt.Errorf("%w: -topic: %v", errUsage, err)
		}
		o.Topics = append(o.Topics, tp)
	}
	for _, u := range users {
		usr, err := testbroker.ParseUser(u)
		if err != nil {
			return fmt.Errorf("%w: -user: %v", errUsage, err)
		}
		o.Users = append(o.Users, usr)
	}
	if *usersFile != "" {
		fileUsers, err := readUsers(*usersFile)
		if err != nil {
			return fmt.Errorf("%w: -users-file: %v", errUsage, err)
		}
		o.Users = append(o.Users, fileUsers...)
	}
	if *ports != "" {
		for _, p := range strings.Split(*ports, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil || n < 0 || n > 65535 {
				return fmt.Errorf("%w: -ports %q: port %q: want a number 0-65535", errUsage, *ports, p)
			}
			o.Ports = append(o.Ports, n)
		}
	}
	if *cert != "" || *key != "" {
		tc, err := testbroker.ServerTLS(*cert, *key)
		if err != nil {
			return fmt.Errorf("%w: -tls-cert/-tls-key: %v", errUsage, err)
		}
		o.TLS = tc
	}
	if *clientCA != "" {
		if o.TLS == nil {
			return fmt.Errorf("%w: -tls-client-ca needs -tls-cert and -tls-key", errUsage)
		}
		if err := testbroker.RequireClientCerts(o.TLS, *clientCA); err != nil {
			return fmt.Errorf("%w: -tls-client-ca: %v", errUsage, err)
		}
	}
	lvl, err := parseLogLevel(*logLevel)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if lvl != kfake.LogLevelNone {
		o.Extra = append(o.Extra, kfake.WithLogger(kfake.BasicLogger(stderr, lvl)))
	}
	if *control != "" {
		if err := checkControlAddr(*control, o.Listen); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
	}

	b, err := testbroker.Start(ctx, o)
	if err != nil {
		if errors.Is(err, testbroker.ErrOptions) {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		return err
	}
	defer b.Close()
	if o.DataDir != "" {
		fmt.Fprintf(stdout, "DATA_DIR=%s\nRESTORED=%t\n", o.DataDir, b.Restored())
	}
	fmt.Fprintf(stdout, "KAFKA_BROKERS=%s\n", strings.Join(b.Addrs(), ","))
	fmt.Fprintf(stdout, "KAFKA_SECURITY_PROTOCOL=%s\n", protocol(o))
	for _, u := range o.Users {
		fmt.Fprintf(stdout, "user %s (%s)\n", u.Name, u.Mechanism)
	}
	for _, t := range o.Topics {
		fmt.Fprintf(stdout, "topic %s (%d partitions)\n", t.Name, t.Partitions)
	}
	if *control == "" {
		<-ctx.Done()
		return nil
	}
	ln, err := net.Listen("tcp", *control)
	if err != nil {
		return fmt.Errorf("control API: %w", err)
	}
	srv := &http.Server{Handler: b.ControlHandler(), ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(stdout, "CONTROL=http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("control API: %w", err)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

func protocol(o testbroker.Options) string {
	switch {
	case o.SASL && o.TLS != nil:
		return "sasl_ssl"
	case o.SASL:
		return "sasl_plaintext"
	case o.TLS != nil:
		return "ssl"
	}
	return "plaintext"
}

func parseLogLevel(s string) (kfake.LogLevel, error) {
	switch strings.ToLower(s) {
	case "none", "":
		return kfake.LogLevelNone, nil
	case "error":
		return kfake.LogLevelError, nil
	case "warn":
		return kfake.LogLevelWarn, nil
	case "info":
		return kfake.LogLevelInfo, nil
	case "debug":
		return kfake.LogLevelDebug, nil
	}
	return 0, fmt.Errorf("-log %q: want none, error, warn, info or debug", s)
}

// checkControlAddr keeps the unauthenticated control API on loopback, unless the brokers
// themselves listen on a wildcard (a container, where loopback is unreachable).
func checkControlAddr(addr, listen string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-control %q: want host:port", addr)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip != nil && ip.IsLoopback() {
		return nil
	}
	if lip := net.ParseIP(listen); lip != nil && lip.IsUnspecified() {
		return nil
	}
	return fmt.Errorf("-control %q: the control API has no authentication; bind a loopback address (127.0.0.1:PORT)", addr)
}

// readUsers reads MECH:user:password lines; errors name the file and line, never the
// password.
func readUsers(path string) ([]testbroker.User, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var users []testbroker.User
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		u, err := testbroker.ParseUser(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, i+1, err)
		}
		users = append(users, u)
	}
	return users, nil
}
