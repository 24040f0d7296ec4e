package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// ScenarioBrokerRestart stops and starts the (persistent) test broker mid-load.
const ScenarioBrokerRestart = "broker-restart"

// Restart is one broker stop and start of the broker-restart scenario.
type Restart struct {
	// StoppedAt and BackAt are seconds since the scenario started: the stop was asked,
	// and the restarted broker's control API answered.
	StoppedAt float64 `json:"stopped_at"`
	BackAt    float64 `json:"back_at"`
	// GraceSeconds is how long the broker had to shut down on SIGTERM before a SIGKILL;
	// 0 is a crash (SIGKILL at once, no shutdown save).
	GraceSeconds float64 `json:"grace_seconds"`
	// Restored: the broker reported state restored from its data directory.
	Restored bool `json:"restored"`
	// RecoverySeconds is the time from BackAt until the member consumed again (its
	// websocket_kafka_messages_total rose); -1 when it did not within the wait.
	RecoverySeconds float64 `json:"recovery_seconds"`
}

// brokerRestart runs the load with a share of invalid records (for the DLQ), stops the
// broker at a third (SIGTERM: kfake saves its state) and kills it at two thirds of the run
// (SIGKILL: it recovers from what it wrote as it went), keeps it down for a few seconds,
// starts the same container again (same name and port on the soak network, same data
// directory), measures how long the member takes to consume again, and at the end
// accounts for every produced sequence number.
func (r *run) brokerRestart(ctx context.Context, adm *kadm.Client, m1 *Member, loadDone <-chan error) (*Loss, error) {
	n := 2
	if r.o.Duration < 30*time.Second {
		n = 1
	}
	down := min(5*time.Second, r.o.Duration/10)
	for i := 1; i <= n; i++ {
		at := r.start.Add(time.Duration(i) * r.o.Duration / time.Duration(n+1))
		if err := r.hold(ctx, time.Until(at)); err != nil {
			return nil, err
		}
		// The last of two restarts is a crash: SIGKILL, no shutdown save; kfake recovers from
		// its segment files and its commit log.
		grace, how := stopTimeout, "stop"
		if n > 1 && i == n {
			grace, how = 0, "kill"
		}
		rs := Restart{StoppedAt: r.now(), GraceSeconds: grace.Seconds()}
		r.mark(fmt.Sprintf("broker %s #%d", how, i))
		r.logf("stopping the broker (#%d, %s, %s grace)", i, how, grace)
		if err := r.env.StopBrokerFor(ctx, grace); err != nil {
			return nil, err
		}
		if err := r.hold(ctx, down); err != nil {
			return nil, err
		}
		if err := r.env.StartBrokerAgain(ctx); err != nil {
			return nil, err
		}
		rs.BackAt = r.now()
		r.mark(fmt.Sprintf("broker back #%d", i))
		var err error
		if rs.Restored, err = r.brokerRestored(ctx); err != nil {
			return nil, err
		}
		if !rs.Restored {
			r.res.Notes = append(r.res.Notes, fmt.Sprintf("restart #%d: the broker did not restore its data directory", i))
		}
		rs.RecoverySeconds = r.recovery(ctx, m1, time.Minute)
		r.logf("broker back after %.1fs down (restored %t); consumption resumed %.1fs later", rs.BackAt-rs.StoppedAt, rs.Restored, rs.RecoverySeconds)
		r.mu.Lock()
		r.res.Restarts = append(r.res.Restarts, rs)
		r.mu.Unlock()
		if rs.RecoverySeconds < 0 {
			r.res.Notes = append(r.res.Notes, fmt.Sprintf("restart #%d: %s consumed nothing within a minute of the broker's return", i, m1.Name))
		}
	}
	return r.settleAndAccount(ctx, adm, loadDone)
}

// brokerRestored asks the broker's control API whether it restored a data directory.
func (r *run) brokerRestored(ctx context.Context) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.env.ControlURL()+"/state", nil)
	if err != nil {
		return false, err
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return false, fmt.Errorf("broker state after restart: %w", err)
	}
	defer resp.Body.Close()
	var st struct {
		Restored bool `json:"restored"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return false, fmt.Errorf("broker state after restart: %w", err)
	}
	return st.Restored, nil
}

// recovery polls m's consumed counter every 250 ms from now on and returns the seconds
// until it rises, or -1 after wait.
func (r *run) recovery(ctx context.Context, m *Member, wait time.Duration) float64 {
	t0 := time.Now()
	base := -1.0
	for time.Since(t0) < wait {
		if s, err := Scrape(ctx, r.http, m.MetricsURL); err == nil {
			v := s.Sum("websocket_kafka_messages_total", nil)
			if base < 0 {
				base = v
			} else if v > base {
				return time.Since(t0).Seconds()
			}
		}
		if r.hold(ctx, 250*time.Millisecond) != nil {
			break
		}
	}
	return -1
}
