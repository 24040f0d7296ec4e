package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Prometheus is a real Prometheus server run as a process on 127.0.0.1, scraping the
// members every second with the repository's rule files loaded.
type Prometheus struct {
	URL    string
	dir    string
	sdFile string
	cmd    *exec.Cmd
	done   chan error
	http   *http.Client
}

// RuleFiles returns the rule files under dir (*.yml and *.yaml with a top-level
// `groups:` key; promtool unit-test files are skipped).
func RuleFiles(dir string) ([]string, error) {
	var out []string
	for _, pat := range []string{"*.yml", "*.yaml"} {
		ms, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			b, err := os.ReadFile(m)
			if err != nil {
				return nil, err
			}
			s := "\n" + string(b)
			if strings.Contains(s, "\ngroups:") && !strings.Contains(s, "\ntests:") {
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// StartPrometheus starts bin (default /usr/bin/prometheus) with the rule files and a
// file-based target list, and waits until it is ready.
func StartPrometheus(ctx context.Context, bin, workDir string, ruleFiles []string, log io.Writer) (*Prometheus, error) {
	if bin == "" {
		bin = "prometheus"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("prometheus server %q: %w (Debian: apt-get install prometheus)", bin, err)
	}
	dir, err := os.MkdirTemp(workDir, "prometheus-")
	if err != nil {
		return nil, err
	}
	p := &Prometheus{dir: dir, sdFile: filepath.Join(dir, "targets.json"), http: &http.Client{Timeout: 5 * time.Second}, done: make(chan error, 1)}
	if err := p.SetTargets(nil); err != nil {
		return nil, err
	}
	var rules strings.Builder
	for _, f := range ruleFiles {
		abs, _ := filepath.Abs(f)
		fmt.Fprintf(&rules, "  - %q\n", abs)
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
rule_files:
%sscrape_configs:
  - job_name: soak
    file_sd_configs:
      - files: [%q]
        refresh_interval: 1s
`, orEmptyList(rules.String()), p.sdFile)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p.URL = "http://" + addr
	p.cmd = exec.Command(path, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--storage.tsdb.retention.time=1d", "--log.level=warn")
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		return nil, err
	}
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	go func() { p.done <- p.cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-p.done:
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			return nil, fmt.Errorf("prometheus exited (%v): %s", err, tail(string(b), 1500))
		case <-ctx.Done():
			p.Stop()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if resp, err := p.http.Get(p.URL + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				fmt.Fprintf(log, "soak: prometheus ready on %s with %d rule files\n", p.URL, len(ruleFiles))
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("prometheus on %s not ready after 30s", addr)
		}
	}
}

func orEmptyList(s string) string {
	if s == "" {
		return "  []\n"
	}
	return s
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Target is one scrape target with its member label.
type PromTarget struct {
	Addr   string
	Member string
	Target string
}

// SetTargets replaces the scrape targets (Prometheus re-reads the file within a second).
func (p *Prometheus) SetTargets(ts []PromTarget) error {
	type group struct {
		Targets []string          `json:"targets"`
		Labels  map[string]string `json:"labels"`
	}
	gs := []group{}
	for _, t := range ts {
		gs = append(gs, group{Targets: []string{t.Addr}, Labels: map[string]string{"instance_name": t.Member, "soak_target": t.Target}})
	}
	b, err := json.Marshal(gs)
	if err != nil {
		return err
	}
	tmp := p.sdFile + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, p.sdFile)
}

// RuleAlert is one alerting rule's active alert (pending or firing).
type RuleAlert struct {
	Rule   string
	File   string
	State  string
	Labels map[string]string
	// Query is the rule's PromQL expression; For its `for:` duration in seconds.
	Query string
	For   float64
}

// ActiveAlerts lists every pending or firing alert with the file its rule came from.
func (p *Prometheus) ActiveAlerts(ctx context.Context) ([]RuleAlert, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/api/v1/rules?type=alert", nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Data   struct {
			Groups []struct {
				File  string `json:"file"`
				Rules []struct {
					Name     string  `json:"name"`
					Query    string  `json:"query"`
					Duration float64 `json:"duration"`
					Alerts   []struct {
						Labels map[string]string `json:"labels"`
						State  string            `json:"state"`
					} `json:"alerts"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("prometheus rules API: %w", err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("prometheus rules API: status %q", body.Status)
	}
	var out []RuleAlert
	for _, g := range body.Data.Groups {
		for _, r := range g.Rules {
			for _, a := range r.Alerts {
				out = append(out, RuleAlert{Rule: r.Name, File: g.File, State: a.State, Labels: a.Labels, Query: r.Query, For: r.Duration})
			}
		}
	}
	return out, nil
}

// RuleCount returns how many alerting rules Prometheus loaded.
func (p *Prometheus) RuleCount(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/api/v1/rules?type=alert", nil)
	if err != nil {
		return 0, err
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Groups []struct {
				Rules []json.RawMessage `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, err
	}
	n := 0
	for _, g := range body.Data.Groups {
		n += len(g.Rules)
	}
	return n, nil
}

// Stop ends the server and removes its data.
func (p *Prometheus) Stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	}
	os.RemoveAll(p.dir)
}
