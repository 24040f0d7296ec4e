package verifycmd

import (
	"context"
	"io"
	"os"
	"testing"
	"time"
)

func TestZZProf(t *testing.T) {
	if os.Getenv("ZZPROF") == "" {
		t.Skip()
	}
	t.Setenv("STREAMAUDIT_CACHE", "off")
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		Main(context.Background(), []string{"-format", "json", "../.."}, io.Discard, io.Discard)
		t.Logf("run %d: %v", i, time.Since(t0))
	}
}
