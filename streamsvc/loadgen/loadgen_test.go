package loadgen_test

import (
	"strings"
	"testing"

	"github.com/streamaudit/streamaudit/streamsvc/envelope"
	"github.com/streamaudit/streamaudit/streamsvc/loadgen"
)

func TestGenInvalidShareSequencesAndSize(t *testing.T) {
	for _, tc := range []struct {
		count int
		ratio float64
		want  int
	}{{400, 0.25, 100}, {1000, 0.02, 20}, {10, 0, 0}, {10, 1, 10}, {7, 0.5, 3}} {
		g, err := loadgen.NewGen(loadgen.Config{Topic: "t", InvalidRatio: tc.ratio, Threads: 3, Size: 500, RunID: "r"})
		if err != nil {
			t.Fatal(err)
		}
		invalid := 0
		next := map[string]uint64{}
		for range tc.count {
			r, bad := g.Next()
			th, seq, err := loadgen.ParseSeq(loadgen.SeqOf(r))
			if err != nil {
				t.Fatal(err)
			}
			if string(r.Key) != th || seq != next[th]+1 {
				t.Fatalf("record key %q seq %s/%d, want next sequence %d", r.Key, th, seq, next[th]+1)
			}
			next[th] = seq
			_, derr := envelope.Decode(r.Value)
			if bad != (derr != nil) {
				t.Fatalf("record %s/%d: generator says invalid=%v, decoder says %v", th, seq, bad, derr)
			}
			if bad {
				invalid++
			} else if len(r.Value) < 450 || len(r.Value) > 550 {
				t.Fatalf("valid record of %d bytes, want about 500", len(r.Value))
			}
		}
		if invalid != tc.want {
			t.Errorf("count %d ratio %v: %d invalid, want %d", tc.count, tc.ratio, invalid, tc.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	c := loadgen.Config{Count: -1, Rate: -2, Size: -3, InvalidRatio: 1.5, Threads: -1}
	err := c.Validate()
	for _, want := range []string{"--count=-1", "--rate=-2", "--size=-3", "--invalid-ratio=1.5", "--threads=-1"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want mention of %s", err, want)
		}
	}
	if _, _, err := loadgen.ParseSeq("nothing"); err == nil {
		t.Error("ParseSeq accepted a value without /")
	}
}
