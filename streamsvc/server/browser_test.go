package server_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/streamaudit/streamaudit/streamsvc/loadgen"
	"github.com/streamaudit/streamaudit/streamsvc/server"
)

// The live page, driven by headless Chromium, shows records arriving over /ws and the
// per-partition lag read from /metrics.
func TestLivePageShowsRecords(t *testing.T) {
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium not found (CI=true requires it; scripts/install-deps.sh installs it): %v", err)
		}
		t.Skip("chromium not found on PATH: browser test skipped (install Debian's chromium; CI=true makes this a failure)")
	}
	c := cluster(t, 2)
	kc := c.Config(t, map[string]string{"KAFKA_GROUP_ID": "browser"})
	r := start(t, kc, server.Options{})

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	defer cancel()

	if err := chromedp.Do(ctx,
		chromedp.Navigate("http://"+r.svc.Addr()+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#status.ok`)),
	); err != nil {
		t.Fatalf("page did not connect its WebSocket: %v", err)
	}
	st := produce(t, kc, loadgen.Config{Count: 30, RunID: "browser"})
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`#records tbody tr.record`)),
		chromedp.Poll[chromedp.Void](`document.getElementById("count").textContent === "30"`),
		chromedp.WaitVisible(chromedp.CSS(`#lag tbody tr`)),
	); err != nil {
		t.Fatalf("records never appeared on the page: %v", err)
	}
	text := func(sel string) string {
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	rows, count, lag := text(`#records tbody`), text(`#count`), text(`#lag tbody`)
	if count != strconv.FormatInt(st.Produced, 10) || !strings.Contains(rows, "browser-") {
		t.Fatalf("page shows count %q and rows %q; want 30 records of threads browser-*", count, rows)
	}
	if !strings.Contains(lag, topic) {
		t.Fatalf("lag table %q does not list partitions of %s", lag, topic)
	}
}
