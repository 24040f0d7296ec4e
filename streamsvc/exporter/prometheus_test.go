package exporter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/streamaudit/streamaudit/streamsvc/exporter"
)

// A real Prometheus server scrapes /metrics (its own Accept and Accept-Encoding headers)
// with the lag monitor's Exposition, once as configured by default (the text path with
// gzip) and once with native histograms enabled, which makes it ask for delimited
// protobuf first: the target is up without a scrape error, the responses were in the
// format expected, and every per-partition series of every awkward topic is stored. The
// prometheus binary missing fails on CI and skips elsewhere.
func TestPrometheusScrapesExposition(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("prometheus not found on CI (scripts/install-deps.sh installs Debian's prometheus package): %v", err)
		}
		t.Skip("prometheus server not installed (scripts/install-deps.sh installs Debian's prometheus)")
	}
	t.Run("text", func(t *testing.T) { prometheusScrapes(t, bin, expfmt.TypeTextPlain) })
	t.Run("protobuf", func(t *testing.T) {
		prometheusScrapes(t, bin, expfmt.TypeProtoDelim, "--enable-feature=native-histograms")
	})
}

func prometheusScrapes(t *testing.T, bin string, wantType expfmt.FormatType, flags ...string) {
	const parts = 20
	e := newLagEnv(t, parts)
	e.em.AddSource(e.mon.Exposition())
	mux := http.NewServeMux()
	exporter.Register(mux, e.em, exporter.NewReadiness(e.em.Ready, nil))
	var served sync.Map // content types of the /metrics responses
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if r.URL.Path == "/metrics" {
			served.Store(expfmt.Format(w.Header().Get("Content-Type")).FormatType(), true)
		}
	}))
	defer target.Close()

	dir := t.TempDir()
	cfg := fmt.Sprintf("global: {scrape_interval: 1s, scrape_timeout: 1s}\nscrape_configs:\n  - job_name: streamsvc\n    static_configs: [{targets: [%q]}]\n",
		strings.TrimPrefix(target.URL, "http://"))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, append([]string{"--config.file=" + filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr, "--log.level=warn"}, flags...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	api := func(path string, out any) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(out)
	}
	want := map[string]bool{}
	for _, topic := range awkwardTopics {
		want[topic] = true
	}
	for {
		var targets struct {
			Data struct {
				ActiveTargets []struct {
					Health    string `json:"health"`
					LastError string `json:"lastError"`
				} `json:"activeTargets"`
			} `json:"data"`
		}
		var counts struct {
			Data struct {
				Result []struct {
					Metric map[string]string `json:"metric"`
					Value  [2]any            `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		terr := api("/api/v1/targets", &targets)
		q := url.QueryEscape(`count by (topic) (websocket_kafka_lag_commit_age_seconds)`)
		cerr := api("/api/v1/query?query="+q, &counts)
		if terr == nil && cerr == nil && len(targets.Data.ActiveTargets) == 1 {
			tg := targets.Data.ActiveTargets[0]
			if tg.LastError != "" {
				t.Fatalf("prometheus could not scrape /metrics: %s", tg.LastError)
			}
			got := map[string]bool{}
			for _, r := range counts.Data.Result {
				if r.Value[1] != fmt.Sprint(parts) {
					t.Errorf("topic %q: %v commit age series stored, want %d", r.Metric["topic"], r.Value[1], parts)
				}
				got[r.Metric["topic"]] = true // an empty label value is no label in Prometheus
			}
			if tg.Health == "up" && len(got) == len(want) {
				for topic := range want {
					if !got[topic] {
						t.Errorf("topic %q not stored; stored %v", topic, got)
					}
				}
				served.Range(func(k, _ any) bool {
					if k.(expfmt.FormatType) != wantType {
						t.Errorf("a scrape was answered in %v, want %v only", k, wantType)
					}
					return true
				})
				if _, ok := served.Load(wantType); !ok {
					t.Errorf("no scrape was answered in %v", wantType)
				}
				return
			}
		}
		select {
		case <-ctx.Done():
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Fatalf("prometheus never stored the series (targets %v %+v, query %v %+v): %s", terr, targets, cerr, counts, b)
		case <-time.After(300 * time.Millisecond):
		}
	}
}
