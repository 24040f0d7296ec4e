// Package envelope defines the versioned JSON envelope of telemetry records on the
// KAFKA_TOPIC topic (documented in docs/ENVELOPE.md) and its strict decoder.
package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Version is the only envelope version this build understands.
const Version = 1

// Envelope is one telemetry record.
type Envelope struct {
	// V is the envelope version; must be Version.
	V int `json:"v"`
	// ThreadID names the producer thread (stream); records of one thread share a key and
	// therefore a partition, so their sequence numbers arrive in order.
	ThreadID string `json:"thread_id"`
	// Seq is the per-thread sequence number, starting at 1 and increasing by one.
	Seq uint64 `json:"seq"`
	// Kind is the record type, e.g. "quality" or "event".
	Kind string `json:"kind"`
	// TS is when the producer created the record (RFC 3339).
	TS time.Time `json:"ts"`
	// Payload is the kind-specific body; any JSON value, may be absent.
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Kind of a decoding failure, also the label value of
// websocket_kafka_errors_by_type_total.
const (
	ErrKindDecode   = "decode"   // not a JSON object of the envelope's shape
	ErrKindVersion  = "version"  // a version this build does not understand
	ErrKindValidate = "validate" // a required field is missing or out of range
)

// ErrorKinds lists every kind, for metric pre-registration.
var ErrorKinds = []string{ErrKindDecode, ErrKindVersion, ErrKindValidate}

// Error is a record that cannot be decoded. Kind is one of the ErrKind constants.
type Error struct {
	Kind string
	Msg  string
}

func (e *Error) Error() string { return e.Kind + ": " + e.Msg }

// KindOf returns the ErrKind of err, or "decode" for errors not from this package.
func KindOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ErrKindDecode
}

// MaxSize is the largest record value Decode accepts.
const MaxSize = 1 << 20

// Decode parses and validates one record value. Unknown fields are rejected so that a
// typo in a producer does not silently drop data. The returned Payload may share b's
// memory (no copy per record): copy it to keep it after changing b.
func Decode(b []byte) (Envelope, error) {
	if len(b) > MaxSize {
		return Envelope{}, &Error{Kind: ErrKindValidate, Msg: fmt.Sprintf("record of %d bytes exceeds %d", len(b), MaxSize)}
	}
	e, ok := decodeFast(b)
	if !ok {
		var err error
		if e, err = decodeJSON(b); err != nil {
			return Envelope{}, err
		}
	}
	if err := e.Validate(); err != nil {
		return Envelope{}, err
	}
	return e, nil
}

// decodeJSON is the reference decoder (encoding/json, unknown fields rejected, one
// object only); Decode uses it for every value decodeFast does not take.
func decodeJSON(b []byte) (Envelope, error) {
	var e Envelope
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Envelope{}, &Error{Kind: ErrKindDecode, Msg: err.Error()}
	}
	if dec.More() {
		return Envelope{}, &Error{Kind: ErrKindDecode, Msg: "trailing data after the JSON object"}
	}
	return e, nil
}

// Validate checks the fields of a decoded envelope.
func (e *Envelope) Validate() error {
	switch {
	case e.V != Version:
		return &Error{Kind: ErrKindVersion, Msg: fmt.Sprintf("v=%d: want %d", e.V, Version)}
	case e.ThreadID == "":
		return &Error{Kind: ErrKindValidate, Msg: "thread_id is empty"}
	case len(e.ThreadID) > 256:
		return &Error{Kind: ErrKindValidate, Msg: fmt.Sprintf("thread_id of %d bytes exceeds 256", len(e.ThreadID))}
	case e.Seq == 0:
		return &Error{Kind: ErrKindValidate, Msg: "seq is missing or 0 (sequences start at 1)"}
	case e.Kind == "":
		return &Error{Kind: ErrKindValidate, Msg: "kind is empty"}
	case e.TS.IsZero():
		return &Error{Kind: ErrKindValidate, Msg: "ts is missing"}
	}
	return nil
}

// Encode renders e as JSON (version set to Version when zero).
func Encode(e Envelope) ([]byte, error) {
	if e.V == 0 {
		e.V = Version
	}
	return json.Marshal(e)
}
