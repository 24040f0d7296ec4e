// Package loadgen generates synthetic telemetry records: valid envelopes with per-thread
// sequence numbers, a deterministic share of invalid ones, a target size and rate. It
// backs `streamsvc produce`, the embedded demo, the soak and the benchmarks.
package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/streamsvc/envelope"
)

// HeaderSeq is set on every generated record, valid or not: "<thread_id>/<seq>", so a
// test can account for every sequence number even for records that cannot be decoded.
const HeaderSeq = "loadgen.seq"

// Config describes the load. Zero values take the defaults.
type Config struct {
	// Topic to produce to (required for Run).
	Topic string
	// Count is the number of records; 0 means until the context ends.
	Count int
	// Rate is records per second; 0 means as fast as the client accepts them.
	Rate float64
	// Size is the approximate value size in bytes of valid records. Default 200.
	Size int
	// InvalidRatio in [0,1] is the share of invalid records, placed deterministically:
	// exactly floor(Count*InvalidRatio) of Count records are invalid.
	InvalidRatio float64
	// Threads is the number of thread ids (record keys). Default 8.
	Threads int
	// Kind is the envelope kind. Default "quality".
	Kind string
	// RunID prefixes thread ids ("<run>-<n>"); random when empty, so sequences of
	// separate runs never collide.
	RunID string
}

// Validate reports the first invalid field, naming the flag.
func (c *Config) Validate() error {
	var errs []error
	if c.Count < 0 {
		errs = append(errs, fmt.Errorf("--count=%d: want >= 0", c.Count))
	}
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		errs = append(errs, fmt.Errorf("--rate=%v: want a finite number >= 0", c.Rate))
	}
	if c.Size < 0 || c.Size > envelope.MaxSize {
		errs = append(errs, fmt.Errorf("--size=%d: want 0..%d", c.Size, envelope.MaxSize))
	}
	if !(c.InvalidRatio >= 0 && c.InvalidRatio <= 1) {
		errs = append(errs, fmt.Errorf("--invalid-ratio=%v: want 0..1", c.InvalidRatio))
	}
	if c.Threads < 0 {
		errs = append(errs, fmt.Errorf("--threads=%d: want >= 0", c.Threads))
	}
	return errors.Join(errs...)
}

// Gen builds records one at a time; it is not safe for concurrent use.
type Gen struct {
	cfg     Config
	i       int
	seqs    []uint64
	threads []string
	pad     string
}

// NewGen validates cfg and returns a generator.
func NewGen(cfg Config) (*Gen, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Size == 0 {
		cfg.Size = 200
	}
	if cfg.Threads == 0 {
		cfg.Threads = 8
	}
	if cfg.Kind == "" {
		cfg.Kind = "quality"
	}
	if cfg.RunID == "" {
		var b [3]byte
		_, _ = rand.Read(b[:])
		cfg.RunID = hex.EncodeToString(b[:])
	}
	g := &Gen{cfg: cfg, seqs: make([]uint64, cfg.Threads)}
	for n := range cfg.Threads {
		g.threads = append(g.threads, cfg.RunID+"-"+strconv.Itoa(n))
	}
	// The envelope without padding is about 130 bytes.
	g.pad = strings.Repeat("x", max(cfg.Size-130, 0))
	return g, nil
}

// Threads returns the thread ids in use.
func (g *Gen) Threads() []string { return g.threads }

// Next returns the next record and whether it is invalid.
func (g *Gen) Next() (*kgo.Record, bool) {
	i := g.i
	g.i++
	n := i % len(g.threads)
	g.seqs[n]++
	thread, seq := g.threads[n], g.seqs[n]
	r := g.cfg.InvalidRatio
	invalid := math.Floor(float64(i+1)*r) > math.Floor(float64(i)*r)
	var val []byte
	if invalid {
		switch i % 3 {
		case 0:
			val = fmt.Appendf(nil, "not json: %s/%d", thread, seq)
		case 1:
			val = fmt.Appendf(nil, `{"v":99,"thread_id":%q,"seq":%d,"kind":%q,"ts":%q}`, thread, seq, g.cfg.Kind, time.Now().UTC().Format(time.RFC3339Nano))
		default:
			val = fmt.Appendf(nil, `{"v":1,"thread_id":%q,"seq":%d,"kind":%q}`, thread, seq, g.cfg.Kind)
		}
	} else {
		val = fmt.Appendf(nil, `{"v":1,"thread_id":%q,"seq":%d,"kind":%q,"ts":%q,"payload":{"n":%d,"score":%.3f,"pad":%q}}`,
			thread, seq, g.cfg.Kind, time.Now().UTC().Format(time.RFC3339Nano), i, float64(i%1000)/1000, g.pad)
	}
	return &kgo.Record{
		Topic:   g.cfg.Topic,
		Key:     []byte(thread),
		Value:   val,
		Headers: []kgo.RecordHeader{{Key: HeaderSeq, Value: []byte(thread + "/" + strconv.FormatUint(seq, 10))}},
	}, invalid
}

// ParseSeq splits a HeaderSeq value into thread id and sequence number.
func ParseSeq(v string) (string, uint64, error) {
	i := strings.LastIndexByte(v, '/')
	if i <= 0 {
		return "", 0, fmt.Errorf("%s=%q: want thread/seq", HeaderSeq, v)
	}
	n, err := strconv.ParseUint(v[i+1:], 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("%s=%q: %w", HeaderSeq, v, err)
	}
	return v[:i], n, nil
}

// SeqOf returns the HeaderSeq of r, or "" when absent.
func SeqOf(r *kgo.Record) string {
	for _, h := range r.Headers {
		if h.Key == HeaderSeq {
			return string(h.Value)
		}
	}
	return ""
}

// Producer is the part of *kgo.Client Run uses.
type Producer interface {
	Produce(ctx context.Context, r *kgo.Record, promise func(*kgo.Record, error))
	Flush(ctx context.Context) error
}

// Stats summarises a run.
type Stats struct {
	Produced int64 // acknowledged by the broker
	Invalid  int64 // of those, invalid on purpose
	Failed   int64 // not acknowledged
	// LastSeq is the last sequence number generated per thread id.
	LastSeq map[string]uint64
	// FirstErr is the first produce error, if any.
	FirstErr error
}

// Run produces cfg.Count records (or until ctx ends) at cfg.Rate to cfg.Topic and waits
// for every acknowledgement. It returns ctx's error only if ctx ended before Count.
func Run(ctx context.Context, p Producer, cfg Config) (Stats, error) {
	if cfg.Topic == "" {
		return Stats{}, errors.New("loadgen: no topic")
	}
	g, err := NewGen(cfg)
	if err != nil {
		return Stats{}, err
	}
	var produced, invalidN, failed atomic.Int64
	var errOnce sync.Once
	var firstErr error
	start := time.Now()
	var runErr error
	for i := 0; cfg.Count == 0 || i < cfg.Count; i++ {
		if cfg.Rate > 0 {
			due := start.Add(time.Duration(float64(i) / cfg.Rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-ctx.Done():
					t.Stop()
				case <-t.C:
				}
			}
		}
		if ctx.Err() != nil {
			if cfg.Count > 0 {
				runErr = ctx.Err()
			}
			break
		}
		r, bad := g.Next()
		p.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Add(1)
				errOnce.Do(func() { firstErr = err })
				return
			}
			produced.Add(1)
			if bad {
				invalidN.Add(1)
			}
		})
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := p.Flush(fctx); err != nil && runErr == nil {
		runErr = fmt.Errorf("flush: %w", err)
	}
	st := Stats{Produced: produced.Load(), Invalid: invalidN.Load(), Failed: failed.Load(), LastSeq: map[string]uint64{}, FirstErr: firstErr}
	for n, t := range g.threads {
		if g.seqs[n] > 0 {
			st.LastSeq[t] = g.seqs[n]
		}
	}
	return st, runErr
}
