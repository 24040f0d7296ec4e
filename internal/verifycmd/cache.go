package verifycmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/streamaudit/streamaudit/checks"
	"github.com/streamaudit/streamaudit/checks/cache"
)

// resultCache is the result cache of one run (see package cache): the key of the run's
// inputs and the store, or nil when the cache is off or the run cannot be cached.
type resultCache struct {
	store *cache.Cache
	key   cache.Key
}

// openResultCache keys this run: verify's own binary, the go command's settings, every
// file of the workspace, the configuration, the subcommand and, with -changed, the
// changed files. Flags that only shape the report (-format, -o, -baseline, -fail-on,
// -color) are applied after the replay and are not part of the key. Problems are
// reported on stderr and the run goes on uncached.
func openResultCache(ctx context.Context, o *options, ws *checks.Workspace, scope *changeScope, stderr io.Writer) *resultCache {
	if !o.cache {
		return nil
	}
	dir, err := cache.DirFromEnv()
	if errors.Is(err, cache.ErrDisabled) {
		return nil
	}
	if err != nil {
		fmt.Fprintf(stderr, "verify: %v; running without the result cache\n", err)
		return nil
	}
	h := cache.NewHasher("verify-result v1")
	if err := cache.AddExecutable(h); err != nil {
		return nil
	}
	if ws.HasGo() {
		if err := addToolchain(ctx, h, ws); err != nil {
			return nil
		}
	}
	if err := addWorkspace(h, ws); err != nil {
		return nil // e.g. a replace directive outside the root: not covered by the key
	}
	h.AddString("group", o.group)
	if scope != nil {
		files := make([]string, 0, len(scope.files))
		for f := range scope.files {
			files = append(files, f)
		}
		sort.Strings(files)
		h.AddString("changed", fmt.Sprint(files))
	}
	store, err := cache.Open(dir, 0)
	if err != nil {
		fmt.Fprintf(stderr, "verify: %v; running without the result cache\n", err)
		return nil
	}
	return &resultCache{store: store, key: h.Sum()}
}

// get returns the stored report of this run's key, if a valid one is there.
func (c *resultCache) get() (*checks.Report, bool) {
	if c == nil {
		return nil, false
	}
	data, ok := c.store.Get(c.key)
	if !ok {
		return nil, false
	}
	var rep checks.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, false
	}
	return &rep, true
}

// put stores a finished report unless it depends on something the key does not cover:
// tool errors and go-load findings can come from the environment (a module missing from
// the module cache, a cancelled run) and must be seen fresh next time.
func (c *resultCache) put(ctx context.Context, rep *checks.Report, ranAny bool, stderr io.Writer) {
	if c == nil || !ranAny || ctx.Err() != nil || len(rep.Errors) > 0 {
		return
	}
	for _, f := range rep.Findings {
		if f.Rule == "go-load" {
			return
		}
	}
	data, err := json.Marshal(rep)
	if err != nil {
		return
	}
	if err := c.store.Put(c.key, data); err != nil {
		fmt.Fprintf(stderr, "verify: %v\n", err)
	}
}
