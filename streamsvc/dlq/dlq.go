// Package dlq writes undecodable records to the dead-letter topic with explicit
// semantics (KAFKA_DLQ_MODE): fail-closed retries with backoff for as long as the record's
// partition is owned and tells the caller when the bounded retries are exhausted so it can
// pause the partition and hold its offset; best-effort tries once and reports the record
// as dropped. Writes are asynchronous: the consume loop never waits for the DLQ.
package dlq

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/streamsvc/exporter"
)

// Modes of KAFKA_DLQ_MODE.
const (
	FailClosed = "fail-closed"
	BestEffort = "best-effort"
)

// Header keys added to every dead-letter record; the original key, value and headers are
// kept as they were.
const (
	HeaderTopic     = "dlq.original.topic"
	HeaderPartition = "dlq.original.partition"
	HeaderOffset    = "dlq.original.offset"
	HeaderError     = "dlq.error"
)

// Config tunes the writer; zero values take the defaults.
type Config struct {
	Topic string
	Mode  string // FailClosed (default) or BestEffort
	// MaxAttempts is the number of attempts (with backoff) after which a fail-closed write
	// is reported as exhausted and the caller pauses the partition. Retries then continue
	// every MaxBackoff until they succeed or the partition is no longer owned. Default 5.
	MaxAttempts int
	// BaseBackoff is the wait after the first failure, doubled per attempt. Default 100ms.
	BaseBackoff time.Duration
	// MaxBackoff caps the wait between attempts. Default 5s.
	MaxBackoff time.Duration
}

// Producer is the part of *kgo.Client the writer uses.
type Producer interface {
	TryProduce(ctx context.Context, r *kgo.Record, promise func(*kgo.Record, error))
}

// Writer sends records to the dead-letter topic.
type Writer struct {
	cfg Config
	p   Producer
	m   *exporter.Metrics
}

// ErrMode is returned by New for an unknown mode.
var ErrMode = errors.New("unknown DLQ mode")

// New returns a writer producing through p.
func New(cfg Config, p Producer, m *exporter.Metrics) (*Writer, error) {
	if cfg.Mode == "" {
		cfg.Mode = FailClosed
	}
	if cfg.Mode != FailClosed && cfg.Mode != BestEffort {
		return nil, &modeError{cfg.Mode}
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.BaseBackoff <= 0 {
		cfg.BaseBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Second
	}
	return &Writer{cfg: cfg, p: p, m: m}, nil
}

type modeError struct{ mode string }

func (e *modeError) Error() string {
	return "KAFKA_DLQ_MODE=" + strconv.Quote(e.mode) + ": want fail-closed or best-effort"
}
func (e *modeError) Unwrap() error { return ErrMode }

// FailClosed reports whether the writer holds offsets until the DLQ write succeeds.
func (w *Writer) FailClosed() bool { return w.cfg.Mode == FailClosed }

// Record builds the dead-letter record for orig: same key, value and headers, plus the
// four dlq.* headers. Its timestamp is left zero, so the producer stamps each attempt with
// the time of the write: kgo measures RecordDeliveryTimeout from a record's Timestamp, and
// the original record's (older than the timeout after a long enough DLQ outage) made every
// retry fail at once with kgo.ErrRecordTimeout, so a fail-closed partition never resumed.
func Record(topic string, orig *kgo.Record, cause error) *kgo.Record {
	h := make([]kgo.RecordHeader, 0, len(orig.Headers)+4)
	h = append(h, orig.Headers...)
	h = append(h,
		kgo.RecordHeader{Key: HeaderTopic, Value: []byte(orig.Topic)},
		kgo.RecordHeader{Key: HeaderPartition, Value: strconv.AppendInt(nil, int64(orig.Partition), 10)},
		kgo.RecordHeader{Key: HeaderOffset, Value: strconv.AppendInt(nil, orig.Offset, 10)},
		kgo.RecordHeader{Key: HeaderError, Value: []byte(cause.Error())},
	)
	return &kgo.Record{Topic: topic, Key: orig.Key, Value: orig.Value, Headers: h}
}

// Result callbacks of Send. Both may be nil; they run on producer or timer goroutines.
type Result struct {
	// Exhausted is called once when a fail-closed write has failed MaxAttempts times.
	Exhausted func(err error)
	// Done is called once at the end: err is nil when the record is in the DLQ; in
	// best-effort mode a non-nil err means the record was dropped; ctx's error when ctx
	// ended first.
	Done func(err error)
}

// Send writes the dead-letter record of orig asynchronously. ctx should end when the
// partition of orig is no longer owned: retries stop then.
func (w *Writer) Send(ctx context.Context, orig *kgo.Record, cause error, res Result) {
	rec := Record(w.cfg.Topic, orig, cause)
	s := &send{w: w, ctx: ctx, rec: rec, res: res}
	s.attempt()
}

type send struct {
	w         *Writer
	ctx       context.Context
	rec       *kgo.Record
	res       Result
	attempts  int
	exhausted bool
}

func (s *send) attempt() {
	if err := s.ctx.Err(); err != nil {
		s.done(err)
		return
	}
	s.attempts++
	// A fresh record each attempt: kgo owns a record until its promise runs. Its zero
	// Timestamp is set by kgo to now, so each attempt gets the full delivery timeout.
	r := &kgo.Record{Topic: s.rec.Topic, Key: s.rec.Key, Value: s.rec.Value, Headers: s.rec.Headers}
	s.w.p.TryProduce(s.ctx, r, func(_ *kgo.Record, err error) {
		if err == nil {
			s.w.m.DLQSent.Inc()
			s.done(nil)
			return
		}
		if s.ctx.Err() != nil {
			s.done(s.ctx.Err())
			return
		}
		s.w.m.DLQSendFailures.Inc()
		s.w.m.Infra[exporter.InfraDLQ].Inc()
		if !s.w.FailClosed() {
			s.w.m.DLQDropped.Inc()
			s.done(err)
			return
		}
		if s.attempts >= s.w.cfg.MaxAttempts && !s.exhausted {
			s.exhausted = true
			if s.res.Exhausted != nil {
				s.res.Exhausted(err)
			}
		}
		time.AfterFunc(s.backoff(), s.attempt)
	})
}

func (s *send) backoff() time.Duration {
	d := s.w.cfg.BaseBackoff
	for i := 1; i < s.attempts && d < s.w.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.w.cfg.MaxBackoff)
}

func (s *send) done(err error) {
	if s.res.Done != nil {
		s.res.Done(err)
	}
}
