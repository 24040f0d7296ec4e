package testbroker_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamaudit/streamaudit/internal/testbroker"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

func start(t *testing.T, o testbroker.Options) *testbroker.Broker {
	t.Helper()
	b, err := testbroker.Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

func client(t *testing.T, env map[string]string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cfg, err := kafkaconf.FromMap(env)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kafkaconf.NewClient(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func apiVersions(t *testing.T, cl *kgo.Client) map[int16]kmsg.ApiVersionsResponseApiKey {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	m := map[int16]kmsg.ApiVersionsResponseApiKey{}
	for _, k := range resp.ApiKeys {
		m[k.ApiKey] = k
	}
	return m
}

// librdkafka refuses SASL unless SaslHandshake v0 is advertised: a SASL broker lists key
// 17 from v0 and otherwise the same keys and versions as kfake.
func TestSASLBrokerAdvertisesHandshakeV0(t *testing.T) {
	plain := start(t, testbroker.Options{})
	sasl := start(t, testbroker.Options{SASL: true, Users: []testbroker.User{{Mechanism: "PLAIN", Name: "u", Password: "p"}}})
	want := apiVersions(t, client(t, map[string]string{"KAFKA_BROKERS": plain.Addrs()[0]}))
	got := apiVersions(t, client(t, map[string]string{"KAFKA_BROKERS": sasl.Addrs()[0],
		"KAFKA_SECURITY_PROTOCOL": "sasl_plaintext", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"}))
	if want[17].MinVersion != 1 {
		t.Fatalf("kfake itself now advertises SaslHandshake from v%d; the override may be unnecessary", want[17].MinVersion)
	}
	if got[17].MinVersion != 0 || got[17].MaxVersion != want[17].MaxVersion {
		t.Fatalf("SASL broker advertises SaslHandshake v%d..v%d, want v0..v%d", got[17].MinVersion, got[17].MaxVersion, want[17].MaxVersion)
	}
	if len(got) != len(want) {
		t.Fatalf("SASL broker advertises %d keys, kfake %d", len(got), len(want))
	}
	for k, w := range want {
		if g := got[k]; k != 17 && (g.MinVersion != w.MinVersion || g.MaxVersion != w.MaxVersion) {
			t.Errorf("key %d (%s): advertised %+v, kfake %+v", k, kmsg.NameForKey(k), got[k], w)
		}
	}
}

func TestAdvertisedHostIsWhatClientsSee(t *testing.T) {
	b := start(t, testbroker.Options{Listen: "127.0.0.1", Advertise: "localhost", Brokers: 2, Topics: []testbroker.Topic{{Name: "t", Partitions: 4}}})
	for i, a := range b.Addrs() {
		if !strings.HasPrefix(a, "localhost:") || !strings.HasPrefix(b.ListenAddrs()[i], "127.0.0.1:") {
			t.Fatalf("broker %d: advertised %s, bound %s; want localhost:P and 127.0.0.1:P", i, a, b.ListenAddrs()[i])
		}
	}
	cl := client(t, map[string]string{"KAFKA_BROKERS": b.ListenAddrs()[0]})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Brokers) != 2 {
		t.Fatalf("metadata lists %d brokers, want 2", len(resp.Brokers))
	}
	for _, br := range resp.Brokers {
		if br.Host != "localhost" {
			t.Fatalf("metadata advertises host %q, want localhost", br.Host)
		}
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatalf("produce through the advertised address: %v", err)
	}
}

// Retention keeps a partition near retention.bytes: older segments are dropped.
func TestRetentionBoundsPartitionBytes(t *testing.T) {
	b := start(t, testbroker.Options{
		Topics:    []testbroker.Topic{{Name: "t", Partitions: 1}},
		Retention: testbroker.Retention{Bytes: 64 << 10, SegmentBytes: 16 << 10, CleanerBackoff: time.Hour},
	})
	info := b.TopicInfo("t")
	if info == nil || info.Configs["retention.bytes"] == nil || *info.Configs["retention.bytes"] != "65536" {
		t.Fatalf("topic t lacks retention.bytes=65536: %+v", info)
	}
	cl := client(t, map[string]string{"KAFKA_BROKERS": b.Addrs()[0]}, kgo.DefaultProduceTopic("t"),
		kgo.ProducerLinger(0), kgo.ProducerBatchCompression(kgo.NoCompression()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 40 { // 40 batches of 4 KB: 160 KB written
		rs := make([]*kgo.Record, 4)
		for j := range rs {
			rs[j] = &kgo.Record{Value: []byte(strings.Repeat("v", 1000))}
		}
		if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	before := b.PartitionInfo("t", 0)
	b.ApplyRetention()
	after := b.PartitionInfo("t", 0)
	if before.NumBytes < 150<<10 || after.NumBytes > 80<<10 || after.LogStartOffset == 0 || after.HighWatermark != 160 {
		t.Fatalf("retention: before %d bytes, after %d bytes, log start %d, end %d; want about 64 KiB kept of 160 records",
			before.NumBytes, after.NumBytes, after.LogStartOffset, after.HighWatermark)
	}
	st := b.State()
	if len(st.Topics) != 1 || st.Topics[0].Partitions[0].LogStartOffset != after.LogStartOffset {
		t.Fatalf("state does not show the trimmed log: %+v", st.Topics)
	}
}

func TestStartRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		o    testbroker.Options
		want string
	}{
		{testbroker.Options{Listen: "0.0.0.0"}, "set an advertised host"},
		{testbroker.Options{SASL: true}, "no user is configured"},
		{testbroker.Options{Users: []testbroker.User{{Mechanism: "PLAIN", Name: "u", Password: "pw-secret"}}}, "SASL is not enabled"},
		{testbroker.Options{SASL: true, Users: []testbroker.User{{Mechanism: "PLAIN", Name: "u"}}}, "non-empty password"},
		{testbroker.Options{Topics: []testbroker.Topic{{Name: "t"}}}, "at least 1 partition"},
		{testbroker.Options{Ports: []int{70000}}, "port 70000"},
		{testbroker.Options{Retention: testbroker.Retention{Bytes: -1}}, "must not be negative"},
		{testbroker.Options{SyncWrites: true}, "need a data directory"},
		{testbroker.Options{DataDir: "broker_test.go"}, "is a file"},
	} {
		_, err := testbroker.Start(context.Background(), tc.o)
		if !errors.Is(err, testbroker.ErrOptions) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Start(%+v): %v, want an ErrOptions error containing %q", tc.o, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "pw-secret") {
			t.Errorf("error shows a password: %v", err)
		}
	}
}

func TestUserNeverPrintsPassword(t *testing.T) {
	u, err := testbroker.ParseUser("scram-sha-512:alice:pa:ss")
	if err != nil {
		t.Fatal(err)
	}
	if u.Mechanism != "SCRAM-SHA-512" || u.Name != "alice" || u.Password != "pa:ss" {
		t.Fatalf("ParseUser: %+v", u)
	}
	for _, s := range []string{u.String(), u.GoString()} {
		if strings.Contains(s, "pa:ss") {
			t.Fatalf("user prints its password: %s", s)
		}
	}
	if _, err := testbroker.ParseUser("KERBEROS:bob:pw-secret"); err == nil || strings.Contains(err.Error(), "pw-secret") {
		t.Fatalf("ParseUser with a bad mechanism: %v", err)
	}
}

func TestControlAPI(t *testing.T) {
	b := start(t, testbroker.Options{Brokers: 2, Topics: []testbroker.Topic{{Name: "t", Partitions: 2}}})
	srv := httptest.NewServer(b.ControlHandler())
	defer srv.Close()
	for _, tc := range []struct {
		method, path string
		form         url.Values
		code         int
		want         string
	}{
		{"GET", "/", nil, 200, "POST   /faults/delay"},
		{"POST", "/faults/delay", url.Values{"key": {"Fetchh"}, "ms": {"10"}}, 400, `request key "Fetchh"`},
		{"POST", "/faults/delay", url.Values{"key": {"Fetch"}, "ms": {"-1"}}, 400, `ms="-1"`},
		{"POST", "/faults/fail", url.Values{"key": {"Produce"}, "error": {"NOPE"}}, 400, `kafka error "NOPE"`},
		{"POST", "/faults/unwritable", nil, 400, "topic: required"},
		{"POST", "/faults/drop", nil, 400, "key or topic: required"},
		{"POST", "/faults/drop", url.Values{"key": {"Fetch"}, "topic": {"t"}}, 400, "give one"},
		{"DELETE", "/faults/42", nil, 404, "fault 42: no such active fault"},
		{"POST", "/faults/delay", url.Values{"key": {"1"}, "ms": {"5"}}, 201, `"key": "Fetch"`},
		{"POST", "/faults/fail", url.Values{"key": {"Produce"}, "topic": {"x"}, "error": {"not_leader_for_partition"}}, 201, `"error": "NOT_LEADER_FOR_PARTITION"`},
		{"GET", "/state", nil, 200, `"kind": "fail"`},
		{"DELETE", "/faults/1", nil, 204, ""},
		{"DELETE", "/faults", nil, 204, ""},
		{"GET", "/state", nil, 200, `"faults": []`},
		{"POST", "/leaders/move", url.Values{"topic": {"nope"}, "partition": {"0"}, "node": {"0"}}, 400, "move nope[0] to node 0"},
		{"POST", "/leaders/move", url.Values{"topic": {"t"}, "partition": {"x"}, "node": {"0"}}, 400, "want numbers"},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s %s %v: %d %s; want %d containing %q", tc.method, tc.path, tc.form, resp.StatusCode, body, tc.code, tc.want)
		}
	}
}

func TestControlAPIMovesLeader(t *testing.T) {
	b := start(t, testbroker.Options{Brokers: 2, Topics: []testbroker.Topic{{Name: "t", Partitions: 2}}})
	srv := httptest.NewServer(b.ControlHandler())
	defer srv.Close()
	target := 1 - b.LeaderFor("t", 1)
	resp, err := http.PostForm(srv.URL+"/leaders/move", url.Values{"topic": {"t"}, "partition": {"1"}, "node": {strconv.Itoa(int(target))}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || b.LeaderFor("t", 1) != target {
		t.Fatalf("POST /leaders/move: %d; leader of t[1] is %d, want %d", resp.StatusCode, b.LeaderFor("t", 1), target)
	}
}

func TestStateListsTopicsClientsCreate(t *testing.T) {
	b := start(t, testbroker.Options{Topics: []testbroker.Topic{{Name: "seeded", Partitions: 1}}})
	cfg, err := kafkaconf.FromMap(map[string]string{"KAFKA_BROKERS": b.Addrs()[0]})
	if err != nil {
		t.Fatal(err)
	}
	adm, err := kafkaconf.NewAdmin(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := adm.CreateTopic(ctx, 3, -1, nil, "created"); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tp := range b.State().Topics {
		names = append(names, tp.Name+":"+strconv.Itoa(len(tp.Partitions)))
	}
	if strings.Join(names, ",") != "created:3,seeded:1" {
		t.Fatalf("state topics %v, want created:3 and seeded:1", names)
	}
}

// Topics clients create get no retention configs; the broker defaults still bound them.
func TestRetentionBoundsTopicsClientsCreate(t *testing.T) {
	b := start(t, testbroker.Options{Retention: testbroker.Retention{Bytes: 32 << 10, CleanerBackoff: 10 * time.Millisecond}})
	cl := client(t, map[string]string{"KAFKA_BROKERS": b.Addrs()[0]}, kgo.DefaultProduceTopic("created"),
		kgo.ProducerLinger(0), kgo.ProducerBatchCompression(kgo.NoCompression()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = "created", 1, 1
	req.Topics = append(req.Topics, rt)
	if _, err := req.RequestWith(ctx, cl); err != nil {
		t.Fatal(err)
	}
	for range 40 {
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(strings.Repeat("v", 4000))}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	for {
		p := b.PartitionInfo("created", 0)
		if p.LogStartOffset > 0 && p.NumBytes <= 40<<10 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("retention never trimmed the client-created topic: %+v", p)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
