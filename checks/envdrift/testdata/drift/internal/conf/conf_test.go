package conf

import (
	"os"
	"testing"
)

func TestOnly(t *testing.T) { _ = os.Getenv("TEST_ONLY_VAR") }
