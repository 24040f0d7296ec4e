package testbroker

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// FaultInfo describes one active fault.
type FaultInfo struct {
	ID     int    `json:"id"`
	Kind   string `json:"kind"` // delay | fail | drop
	Key    string `json:"key"`  // request kind, e.g. Produce
	Topic  string `json:"topic,omitempty"`
	Delay  string `json:"delay,omitempty"`
	Error  string `json:"error,omitempty"`
	Hits   int64  `json:"hits"`
	Detail string `json:"detail"`
}

type activeFault struct {
	info   FaultInfo
	hits   *atomic.Int64
	remove func()
}

func (b *Broker) addFault(info FaultInfo, hits *atomic.Int64, remove func()) (FaultInfo, func()) {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	info.ID = id
	b.faults[id] = &activeFault{info: info, hits: hits, remove: remove}
	b.mu.Unlock()
	var once sync.Once
	return info, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.faults, id)
			b.mu.Unlock()
			remove()
		})
	}
}

// Faults lists the active faults in the order they were added.
func (b *Broker) Faults() []FaultInfo {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]FaultInfo, 0, len(b.faults))
	for _, f := range b.faults {
		fi := f.info
		fi.Hits = f.hits.Load()
		out = append(out, fi)
	}
	slices.SortFunc(out, func(a, b FaultInfo) int { return a.ID - b.ID })
	return out
}

// ClearFault removes the fault with id; it reports whether one existed.
func (b *Broker) ClearFault(id int) bool {
	b.mu.Lock()
	f, ok := b.faults[id]
	delete(b.faults, id)
	b.mu.Unlock()
	if ok {
		f.remove()
	}
	return ok
}

// ClearFaults removes every fault and wakes delayed requests.
func (b *Broker) ClearFaults() {
	b.mu.Lock()
	fs := b.faults
	b.faults = map[int]*activeFault{}
	b.mu.Unlock()
	for _, f := range fs {
		f.remove()
	}
}

// DelayRequests holds every request of kind key (a kmsg.Key, e.g. int16(kmsg.Fetch)) for
// d before the broker handles it, until clear is called (which wakes held requests).
// Requests on one connection are answered in order, so a delayed request also delays
// the ones queued behind it, as on a slow real broker.
func (b *Broker) DelayRequests(key int16, d time.Duration) (clear func()) {
	_, clear = b.delayRequests(key, d)
	return clear
}

func (b *Broker) delayRequests(key int16, d time.Duration) (FaultInfo, func()) {
	stop := make(chan struct{})
	var stopped atomic.Bool
	hits := new(atomic.Int64)
	b.Cluster.ControlKey(key, func(kmsg.Request) (kmsg.Response, error, bool) {
		if stopped.Load() {
			b.Cluster.DropControl()
			return nil, nil, false
		}
		hits.Add(1)
		b.Cluster.SleepControl(func() {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-stop:
			}
		})
		return nil, nil, false
	})
	info := FaultInfo{Kind: "delay", Key: kmsg.NameForKey(key), Delay: d.String(),
		Detail: fmt.Sprintf("every %s request waits %s", kmsg.NameForKey(key), d)}
	return b.addFault(info, hits, func() {
		if !stopped.Swap(true) {
			close(stop)
		}
	})
}

// FailRequests answers every request of kind key touching topic ("" for any topic)
// with err (nil means UNKNOWN_SERVER_ERROR), until clear is called.
func (b *Broker) FailRequests(key int16, topic string, err *kerr.Error) (clear func()) {
	_, clear = b.failRequests(key, topic, err)
	return clear
}

func (b *Broker) failRequests(key int16, topic string, err *kerr.Error) (FaultInfo, func()) {
	if err == nil {
		err = kerr.UnknownServerError
	}
	hits := new(atomic.Int64)
	h := b.Cluster.Fault(kfake.Fault{
		Keys:  []kmsg.Key{kmsg.Key(key)},
		Topic: topic,
		Err:   err,
		Count: -1,
		When:  func(kmsg.Request) bool { hits.Add(1); return true },
	})
	where := "every topic"
	if topic != "" {
		where = "topic " + topic
	}
	info := FaultInfo{Kind: "fail", Key: kmsg.NameForKey(key), Topic: topic, Error: err.Message,
		Detail: fmt.Sprintf("%s requests to %s fail with %s", kmsg.NameForKey(key), where, err.Message)}
	return b.addFault(info, hits, h.Remove)
}

// FailProduceTo makes topic unwritable: every produce to it fails with
// TOPIC_AUTHORIZATION_FAILED, an error producers do not retry, until clear is called.
// Other topics, fetches and commits keep working.
func (b *Broker) FailProduceTo(topic string) (clear func()) {
	return b.FailRequests(int16(kmsg.Produce), topic, kerr.TopicAuthorizationFailed)
}

// DropProduceTo closes the connection of every produce request that writes to topic,
// without answering it, until clear is called: producers see network errors and retry
// (a broker that vanished mid-request). Other requests are unaffected. An idempotent
// producer (kgo's default) never fails a record it sent without an answer, so it retries
// until the fault is cleared; bounded retries fail only non-idempotent producers.
func (b *Broker) DropProduceTo(topic string) (clear func()) {
	_, clear = b.dropProduceTo(topic)
	return clear
}

func (b *Broker) dropProduceTo(topic string) (FaultInfo, func()) {
	return b.drop(int16(kmsg.Produce), topic)
}

// DropRequests closes the connection of every request of kind key without answering
// it, until clear is called: clients see network errors and retry.
func (b *Broker) DropRequests(key int16) (clear func()) {
	_, clear = b.drop(key, "")
	return clear
}

// drop installs a connection-closing control for key; topic ("" for all) filters
// produce requests.
func (b *Broker) drop(key int16, topic string) (FaultInfo, func()) {
	var stopped atomic.Bool
	hits := new(atomic.Int64)
	b.Cluster.ControlKey(key, func(r kmsg.Request) (kmsg.Response, error, bool) {
		if stopped.Load() {
			b.Cluster.DropControl()
			return nil, nil, false
		}
		if topic != "" {
			req, ok := r.(*kmsg.ProduceRequest)
			if !ok || !slices.ContainsFunc(req.Topics, func(t kmsg.ProduceRequestTopic) bool { return b.produceTopicIs(t, topic) }) {
				return nil, nil, false
			}
		}
		b.Cluster.KeepControl()
		hits.Add(1)
		return nil, errDropped, true
	})
	name := kmsg.NameForKey(key)
	info := FaultInfo{Kind: "drop", Key: name, Topic: topic,
		Detail: name + " requests close their connection unanswered"}
	if topic != "" {
		info.Detail = name + " requests to topic " + topic + " close their connection unanswered"
	}
	return b.addFault(info, hits, func() { stopped.Store(true) })
}

// produceTopicIs reports whether t names topic; produce v13+ carries topic IDs only.
// It runs inside a control function, where admin calls such as TopicIDInfo are served.
func (b *Broker) produceTopicIs(t kmsg.ProduceRequestTopic, topic string) bool {
	if t.Topic == topic {
		return true
	}
	if t.TopicID == ([16]byte{}) {
		return false
	}
	info := b.Cluster.TopicIDInfo(t.TopicID)
	return info != nil && info.Topic == topic
}

var errDropped = errors.New("testbroker: request dropped by fault")

// ParseKey parses a request kind by name (Produce, Fetch, case-insensitive) or number.
func ParseKey(s string) (int16, error) {
	if n, err := strconv.ParseInt(s, 10, 16); err == nil {
		if kmsg.NameForKey(int16(n)) == "Unknown" {
			return 0, fmt.Errorf("request key %d: unknown", n)
		}
		return int16(n), nil
	}
	for k := int16(0); k < 200; k++ {
		if name := kmsg.NameForKey(k); name != "Unknown" && strings.EqualFold(name, s) {
			return k, nil
		}
	}
	return 0, fmt.Errorf("request key %q: want a Kafka request name (Produce, Fetch, Metadata, ...) or number", s)
}

// ParseError parses a Kafka error name such as TOPIC_AUTHORIZATION_FAILED.
func ParseError(s string) (*kerr.Error, error) {
	for code := int16(-1); code < 200; code++ {
		if e, ok := kerr.ErrorForCode(code).(*kerr.Error); ok && code != 0 && strings.EqualFold(e.Message, s) && e.Code == code {
			return e, nil
		}
	}
	return nil, fmt.Errorf("kafka error %q: want a Kafka error name such as TOPIC_AUTHORIZATION_FAILED", s)
}
