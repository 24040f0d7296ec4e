// Package testbroker runs a Kafka-protocol test broker on franz-go's kfake: brokers on
// chosen ports, seeded topics with retention so memory stays bounded, SASL users, TLS, the
// SASL handshake v0 advertisement librdkafka clients (kcat) need, optional on-disk
// persistence (records, topics and committed group offsets survive a restart on the same
// data directory), and fault controls (delay a request kind, fail or drop produce requests to
// a topic) reachable from Go and over a loopback control HTTP API. cmd/testbroker and
// internal/kafkatest are thin layers over it.
package testbroker

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// SASL mechanisms the broker accepts.
const (
	MechPlain       = "PLAIN"
	MechScramSHA256 = "SCRAM-SHA-256"
	MechScramSHA512 = "SCRAM-SHA-512"
)

// User is one SASL user. Its String never shows the password.
type User struct {
	Mechanism string
	Name      string
	Password  string
}

func (u User) String() string { return u.Mechanism + ":" + u.Name + ":[redacted]" }

// GoString keeps %#v from printing the password.
func (u User) GoString() string { return "testbroker.User{" + u.String() + "}" }

// Topic is a topic seeded at start.
type Topic struct {
	Name       string
	Partitions int32
}

// Retention bounds the memory kfake uses for topic data. Zero fields leave kfake's
// defaults (keep everything for 7 days, no size limit, clean once an hour).
type Retention struct {
	Bytes          int64         // retention.bytes per partition; 0 means unlimited
	Duration       time.Duration // retention.ms; 0 means kfake's default (7 days)
	SegmentBytes   int           // segment.bytes; 0 means kfake's default (100 MiB)
	CleanerBackoff time.Duration // log.cleaner.backoff.ms: how often retention runs
}

func (r Retention) topicConfigs() map[string]string {
	m := map[string]string{}
	if r.Bytes > 0 {
		m["retention.bytes"] = strconv.FormatInt(r.Bytes, 10)
	}
	if r.Duration > 0 {
		m["retention.ms"] = strconv.FormatInt(r.Duration.Milliseconds(), 10)
	}
	if r.SegmentBytes > 0 {
		m["segment.bytes"] = strconv.Itoa(r.SegmentBytes)
	}
	return m
}

func (r Retention) brokerConfigs() map[string]string {
	m := map[string]string{}
	if r.Bytes > 0 {
		m["log.retention.bytes"] = strconv.FormatInt(r.Bytes, 10)
	}
	if r.Duration > 0 {
		m["log.retention.ms"] = strconv.FormatInt(r.Duration.Milliseconds(), 10)
	}
	if r.SegmentBytes > 0 {
		m["log.segment.bytes"] = strconv.Itoa(r.SegmentBytes)
	}
	if r.CleanerBackoff > 0 {
		m["log.cleaner.backoff.ms"] = strconv.FormatInt(r.CleanerBackoff.Milliseconds(), 10)
	}
	return m
}

// Options configures Start. The zero value starts one plaintext broker on a random
// loopback port.
type Options struct {
	// Listen is the host the brokers bind; default 127.0.0.1. Binding a wildcard
	// (0.0.0.0, ::) needs Advertise.
	Listen string
	// Advertise is the host clients are told to connect to (in metadata); default Listen.
	Advertise string
	// Ports to listen on, one broker per port; empty means Brokers random ports.
	Ports []int
	// Brokers is the number of brokers when Ports is empty; default 1.
	Brokers int
	// Topics are created at start, with the Retention configs.
	Topics []Topic
	// SASL requires SASL authentication with one of Users.
	SASL  bool
	Users []User
	// TLS, when set, serves TLS on every broker port.
	TLS *tls.Config
	// Retention applies to seeded topics and, as broker defaults, to other topics.
	Retention Retention
	// AutoCreateTopics lets metadata requests create topics.
	AutoCreateTopics bool
	// DataDir, when set, persists the cluster in this directory (kfake.DataDir) and
	// restores it on the next Start with the same directory: topics and their configs,
	// records (segment files, written as they are produced), committed group offsets (an
	// append log written at each commit), producer ids and SASL users. Without SyncWrites
	// records reach the disk through the page cache: they survive the process being killed,
	// not the machine losing power. The default, "", keeps everything in RAM.
	DataDir string
	// SyncWrites fsyncs every produced batch and every offset commit (kfake.SyncWrites);
	// only meaningful with DataDir. Default false (much faster).
	SyncWrites bool
	// Extra kfake options, applied last.
	Extra []kfake.Opt
}

// Broker is a running test cluster.
type Broker struct {
	*kfake.Cluster
	opts   Options
	listen []string // bound addresses
	adv    []string // advertised addresses

	closeOnce     sync.Once
	stopRetention chan struct{}
	retentionDone sync.WaitGroup

	mu       sync.Mutex
	faults   map[int]*activeFault
	nextID   int
	topics   map[string]struct{} // every topic name seen created
	restored bool                // state was loaded from DataDir
}

// ErrOptions is wrapped by every invalid-option error of Start.
var ErrOptions = errors.New("invalid test broker option")

func optErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrOptions}, args...)...)
}

func (o *Options) validate() error {
	if o.Listen == "" {
		o.Listen = "127.0.0.1"
	}
	if ip := net.ParseIP(o.Listen); ip != nil && ip.IsUnspecified() && o.Advertise == "" {
		return optErr("listen host %q is a wildcard: set an advertised host clients can reach", o.Listen)
	}
	if o.Advertise == "" {
		o.Advertise = o.Listen
	}
	if o.Brokers == 0 {
		o.Brokers = 1
	}
	if o.Brokers < 1 {
		return optErr("brokers %d: want at least 1", o.Brokers)
	}
	if len(o.Ports) > 0 {
		o.Brokers = len(o.Ports)
	}
	for _, p := range o.Ports {
		if p < 0 || p > 65535 {
			return optErr("port %d: want 0-65535", p)
		}
	}
	for _, t := range o.Topics {
		if t.Name == "" || t.Partitions < 1 {
			return optErr("topic %q with %d partitions: want a name and at least 1 partition", t.Name, t.Partitions)
		}
	}
	if o.SASL && len(o.Users) == 0 {
		return optErr("SASL is enabled but no user is configured")
	}
	if !o.SASL && len(o.Users) > 0 {
		return optErr("SASL users are configured but SASL is not enabled")
	}
	for _, u := range o.Users {
		if !slices.Contains([]string{MechPlain, MechScramSHA256, MechScramSHA512}, u.Mechanism) {
			return optErr("user %q: mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", u.Name, u.Mechanism)
		}
		if u.Name == "" || u.Password == "" {
			return optErr("user %q with mechanism %s: want a name and a non-empty password", u.Name, u.Mechanism)
		}
	}
	if o.Retention.Bytes < 0 || o.Retention.Duration < 0 || o.Retention.SegmentBytes < 0 || o.Retention.CleanerBackoff < 0 {
		return optErr("retention values must not be negative")
	}
	if o.SyncWrites && o.DataDir == "" {
		return optErr("sync writes need a data directory")
	}
	if o.DataDir != "" {
		if fi, err := os.Stat(o.DataDir); err == nil && !fi.IsDir() {
			return optErr("data directory %q is a file", o.DataDir)
		}
	}
	return nil
}

// Start starts the cluster. Close stops it; ctx only bounds start-up.
func Start(ctx context.Context, o Options) (*Broker, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	b := &Broker{opts: o, faults: map[int]*activeFault{}, topics: map[string]struct{}{}}
	kopts := []kfake.Opt{
		kfake.NumBrokers(o.Brokers),
		kfake.ListenFn(b.listenFn),
	}
	if len(o.Ports) > 0 {
		kopts = append(kopts, kfake.Ports(o.Ports...))
	}
	if bc := o.Retention.brokerConfigs(); len(bc) > 0 {
		kopts = append(kopts, kfake.BrokerConfigs(bc))
	}
	if o.SASL {
		kopts = append(kopts, kfake.EnableSASL())
		for _, u := range o.Users {
			kopts = append(kopts, kfake.Superuser(u.Mechanism, u.Name, u.Password))
		}
	}
	if o.TLS != nil {
		kopts = append(kopts, kfake.TLS(o.TLS))
	}
	if o.AutoCreateTopics {
		kopts = append(kopts, kfake.AllowAutoTopicCreation())
	}
	if o.DataDir != "" {
		kopts = append(kopts, kfake.DataDir(o.DataDir))
		if o.SyncWrites {
			kopts = append(kopts, kfake.SyncWrites())
		}
		prev, err := persistedTopics(o.DataDir)
		if err != nil {
			return nil, err
		}
		b.restored = prev != nil
		for _, n := range prev {
			b.topics[n] = struct{}{}
		}
	}
	kopts = append(kopts, o.Extra...)

	var versions *kmsg.ApiVersionsResponse
	if o.SASL {
		v, err := probeAPIVersions(ctx)
		if err != nil {
			return nil, err
		}
		versions = v
	}
	c, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("start test broker: %w", err)
	}
	b.Cluster = c
	b.adv = c.ListenAddrs()
	if versions != nil {
		b.advertiseHandshakeV0(versions)
	}
	b.observeTopicCreation()
	tcfg := o.Retention.topicConfigs()
	for _, t := range o.Topics {
		if b.restored && c.TopicInfo(t.Name) != nil {
			b.noteTopic(t.Name) // restored from DataDir with its records and configs
			continue
		}
		if err := c.CreateTopic(t.Name, t.Partitions, tcfg); err != nil {
			c.Close()
			return nil, fmt.Errorf("create topic %s: %w", t.Name, err)
		}
		b.noteTopic(t.Name)
	}
	b.startRetention()
	return b, nil
}

// startRetention applies retention every CleanerBackoff to every topic, including
// topics clients create without retention configs (they fall back to the broker's
// log.retention.*): kfake's own cleaner runs only while some topic has a topic-level
// retention config.
func (b *Broker) startRetention() {
	r := b.opts.Retention
	if r.CleanerBackoff <= 0 || r.Bytes <= 0 && r.Duration <= 0 {
		return
	}
	b.stopRetention = make(chan struct{})
	b.retentionDone.Add(1)
	go func() {
		defer b.retentionDone.Done()
		t := time.NewTicker(r.CleanerBackoff)
		defer t.Stop()
		for {
			select {
			case <-b.stopRetention:
				return
			case <-t.C:
				b.Cluster.ApplyRetention()
			}
		}
	}()
}

// listenFn binds the configured host (kfake always asks for 127.0.0.1) and makes the
// listener report the advertised host, which kfake puts in metadata.
func (b *Broker) listenFn(network, address string) (net.Listener, error) {
	_, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen(network, net.JoinHostPort(b.opts.Listen, port))
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", net.JoinHostPort(b.opts.Listen, port), err)
	}
	b.mu.Lock()
	b.listen = append(b.listen, ln.Addr().String())
	b.mu.Unlock()
	if b.opts.Advertise == b.opts.Listen {
		return ln, nil
	}
	_, boundPort, _ := net.SplitHostPort(ln.Addr().String())
	return advertisedListener{Listener: ln, addr: advertisedAddr(net.JoinHostPort(b.opts.Advertise, boundPort))}, nil
}

type advertisedAddr string

func (a advertisedAddr) Network() string { return "tcp" }
func (a advertisedAddr) String() string  { return string(a) }

type advertisedListener struct {
	net.Listener
	addr advertisedAddr
}

func (l advertisedListener) Addr() net.Addr { return l.addr }

// Addrs returns the advertised host:port of every broker (what clients connect to).
func (b *Broker) Addrs() []string { return slices.Clone(b.adv) }

// ListenAddrs returns the bound host:port of every broker.
func (b *Broker) ListenAddrs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.listen)
}

// Restored reports whether Start loaded a previous run's state from Options.DataDir.
func (b *Broker) Restored() bool { return b.restored }

// persistedTopics returns the topic names a previous run saved in dir (kfake's
// topics.json), nil when dir holds no saved cluster (kfake's meta.json is absent).
func persistedTopics(dir string) ([]string, error) {
	if _, err := os.Stat(filepath.Join(dir, "meta.json")); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "topics.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return []string{}, nil
	} else if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	var saved struct {
		Topics []struct {
			Name string `json:"name"`
		} `json:"topics"`
	}
	if err := json.Unmarshal(raw, &saved); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "topics.json"), err)
	}
	names := []string{}
	for _, t := range saved.Topics {
		names = append(names, t.Name)
	}
	return names, nil
}

// Options returns the options the broker runs with (defaults filled in).
func (b *Broker) Options() Options { return b.opts }

// Close stops the brokers and wakes delayed requests.
func (b *Broker) Close() {
	b.closeOnce.Do(func() {
		if b.stopRetention != nil {
			close(b.stopRetention)
			b.retentionDone.Wait()
		}
		b.ClearFaults()
		b.Cluster.Close()
	})
}

// observeTopicCreation records topics created by clients so State can list them.
func (b *Broker) observeTopicCreation() {
	b.Cluster.Fault(kfake.Fault{
		Keys:    []kmsg.Key{kmsg.CreateTopics},
		Count:   -1,
		Observe: true,
		When: func(r kmsg.Request) bool {
			if req, ok := r.(*kmsg.CreateTopicsRequest); ok {
				for _, t := range req.Topics {
					b.noteTopic(t.Topic)
				}
			}
			return false
		},
	})
	b.Cluster.Fault(kfake.Fault{
		Keys:    []kmsg.Key{kmsg.Metadata},
		Count:   -1,
		Observe: true,
		When: func(r kmsg.Request) bool {
			if req, ok := r.(*kmsg.MetadataRequest); ok && req.AllowAutoTopicCreation && b.opts.AutoCreateTopics {
				for _, t := range req.Topics {
					if t.Topic != nil {
						b.noteTopic(*t.Topic)
					}
				}
			}
			return false
		},
	})
}

func (b *Broker) noteTopic(name string) {
	b.mu.Lock()
	b.topics[name] = struct{}{}
	b.mu.Unlock()
}

// TopicState is one topic in State.
type TopicState struct {
	Name       string            `json:"name"`
	Partitions []PartitionState  `json:"partitions"`
	Configs    map[string]string `json:"configs,omitempty"`
}

// PartitionState is one partition in State.
type PartitionState struct {
	Partition      int32 `json:"partition"`
	Leader         int32 `json:"leader"`
	LogStartOffset int64 `json:"log_start_offset"`
	HighWatermark  int64 `json:"high_watermark"`
	Bytes          int64 `json:"bytes"`
}

// State is a snapshot of the broker for the control API.
type State struct {
	Brokers   []string     `json:"brokers"`
	Listening []string     `json:"listening"`
	TLS       bool         `json:"tls"`
	SASL      bool         `json:"sasl"`
	Users     []string     `json:"users,omitempty"` // MECH:name, never passwords
	Topics    []TopicState `json:"topics"`
	Faults    []FaultInfo  `json:"faults"`
	// DataDir is where the broker persists its state ("" in RAM only); Restored tells
	// whether this run started from a previous run's state there.
	DataDir  string `json:"data_dir,omitempty"`
	Restored bool   `json:"restored"`
}

// State returns the brokers, topics (seeded or created by clients) with offsets and
// sizes, and the active faults.
func (b *Broker) State() State {
	s := State{Brokers: b.Addrs(), Listening: b.ListenAddrs(), TLS: b.opts.TLS != nil, SASL: b.opts.SASL, Faults: b.Faults(),
		DataDir: b.opts.DataDir, Restored: b.restored}
	for _, u := range b.opts.Users {
		s.Users = append(s.Users, u.Mechanism+":"+u.Name)
	}
	b.mu.Lock()
	names := make([]string, 0, len(b.topics))
	for n := range b.topics {
		names = append(names, n)
	}
	b.mu.Unlock()
	slices.Sort(names)
	s.Topics = []TopicState{}
	for _, n := range names {
		info := b.Cluster.TopicInfo(n)
		if info == nil {
			continue
		}
		ts := TopicState{Name: n, Partitions: []PartitionState{}}
		for k, v := range info.Configs {
			if v != nil {
				if ts.Configs == nil {
					ts.Configs = map[string]string{}
				}
				ts.Configs[k] = *v
			}
		}
		for _, p := range b.Cluster.PartitionInfos(n) {
			ts.Partitions = append(ts.Partitions, PartitionState{
				Partition: p.Partition, Leader: p.Leader, LogStartOffset: p.LogStartOffset,
				HighWatermark: p.HighWatermark, Bytes: p.NumBytes,
			})
		}
		s.Topics = append(s.Topics, ts)
	}
	return s
}

// ParseTopic parses "name:partitions" (or "name", one partition).
func ParseTopic(s string) (Topic, error) {
	name, parts, found := strings.Cut(s, ":")
	t := Topic{Name: strings.TrimSpace(name), Partitions: 1}
	if found {
		n, err := strconv.ParseInt(strings.TrimSpace(parts), 10, 32)
		if err != nil || n < 1 {
			return Topic{}, fmt.Errorf("topic %q: partitions %q: want a positive number (name:partitions)", s, parts)
		}
		t.Partitions = int32(n)
	}
	if t.Name == "" {
		return Topic{}, fmt.Errorf("topic %q: empty name (want name:partitions)", s)
	}
	return t, nil
}

// ParseUser parses "MECH:user:password"; the password may contain ':'. Errors never
// quote the password.
func ParseUser(s string) (User, error) {
	mech, rest, ok1 := strings.Cut(s, ":")
	name, pass, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 {
		return User{}, errors.New("user: want MECH:user:password (e.g. SCRAM-SHA-512:alice:secret)")
	}
	mech = strings.ToUpper(strings.TrimSpace(mech))
	if !slices.Contains([]string{MechPlain, MechScramSHA256, MechScramSHA512}, mech) {
		return User{}, fmt.Errorf("user %q: mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", name, mech)
	}
	if name == "" || pass == "" {
		return User{}, fmt.Errorf("user %q (%s): want a non-empty name and password", name, mech)
	}
	return User{Mechanism: mech, Name: name, Password: pass}, nil
}
