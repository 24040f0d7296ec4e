package main

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/streamaudit/streamaudit/internal/kafkatest"
)

// The child process of TestServeSIGTERM runs the real main.
func TestMain(m *testing.M) {
	if os.Getenv("STREAMSVC_TEST_CHILD") == "1" {
		os.Args = append([]string{"streamsvc"}, strings.Fields(os.Getenv("STREAMSVC_TEST_ARGS"))...)
		main()
		return
	}
	os.Exit(m.Run())
}

// serve runs from environment variables alone (no files, empty HOME, as in a FROM-scratch
// image) and exits 0 on SIGTERM after a clean shutdown.
func TestServeSIGTERM(t *testing.T) {
	c := kafkatest.New(t, kafkatest.Topic("dashstream-quality", 2), kafkatest.Topic("dashstream-quality-dlq", 1))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = []string{
		"STREAMSVC_TEST_CHILD=1", "STREAMSVC_TEST_ARGS=serve",
		"KAFKA_BROKERS=" + strings.Join(c.Addrs, ","), "STREAMSVC_HTTP_ADDR=" + addr,
	}
	cmd.Dir = t.TempDir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("never ready; stderr:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("no exit within 30s of SIGTERM; stderr:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "msg=stopped") {
		t.Fatalf("no clean-stop log line; stderr:\n%s", stderr.String())
	}
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args string
		env  []string
		code int
		msg  string
	}{
		{"bogus", nil, exitUsage, `unknown command "bogus"`},
		{"lag", []string{"KAFKA_SECURITY_PROTOCOL=carrier-pigeon"}, exitUsage, `KAFKA_SECURITY_PROTOCOL="carrier-pigeon"`},
		{"produce --rate -1", nil, exitUsage, "--rate=-1: want a finite number >= 0"},
		{"help", nil, exitOK, "usage: streamsvc <command>"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append([]string{"STREAMSVC_TEST_CHILD=1", "STREAMSVC_TEST_ARGS=" + tc.args}, tc.env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("streamsvc %s: %v, stderr %q; want exit %d mentioning %q", tc.args, err, stderr.String(), tc.code, tc.msg)
		}
	}
}
