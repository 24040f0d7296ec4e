// Package web serves streamsvc's live page at /: an embedded HTML+JS page that opens /ws,
// shows the latest records, and polls /metrics for per-partition consumer lag. It needs no
// files at run time.
package web

import (
	"embed"
	"net/http"
)

//go:embed static/index.html
var static embed.FS

// Handler serves the live page.
func Handler() http.Handler {
	page, err := static.ReadFile("static/index.html")
	if err != nil {
		panic("web: embedded page missing: " + err.Error()) // a build defect, not input
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'")
		_, _ = w.Write(page)
	})
}
