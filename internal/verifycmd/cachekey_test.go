package verifycmd

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/streamaudit/streamaudit/checks/cache"
)

func TestCheckReplaces(t *testing.T) {
	for _, tc := range []struct {
		gomod string
		ok    bool
	}{
		{"module m\n", true},
		{"module m\nreplace example.com/a => example.com/b v1.0.0\n", true},
		{"module m\nreplace example.com/a => ./third_party/a\n", true},
		{"module m\nreplace (\n\texample.com/a v1.0.0 => ./a // local\n)\n", true},
		{"module m\nreplace example.com/a => ../a\n", false},
		{"module m\nreplace (\n\texample.com/b => example.com/c v1.2.3\n\texample.com/a => /abs/a\n)\n", false},
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte(tc.gomod), 0o644)
		err := checkReplaces(dir)
		var u *cache.Uncacheable
		if tc.ok != (err == nil) || (err != nil && !errors.As(err, &u)) {
			t.Errorf("%q: %v, want ok=%v", tc.gomod, err, tc.ok)
		}
	}
}
