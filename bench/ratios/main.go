// Command ratios reads `go test -bench` output (stdin or files) and prints one line per
// figure of docs/PERFORMANCE.md: the measured ratio against its baseline from the same
// run, and the goal it is held to. A missing benchmark is reported, not guessed.
//
//	go test -run '^$' -bench . -benchmem ./bench/ ./streamsvc/lagmon/ | tee bench.out
//	go run ./bench/ratios bench.out
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ratios:", err)
		os.Exit(2)
	}
}

func run(_ context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	var in []io.Reader
	for _, a := range args {
		f, err := os.Open(a)
		if err != nil {
			return err
		}
		defer f.Close()
		in = append(in, f)
	}
	if len(in) == 0 {
		in = append(in, stdin)
	}
	res, err := Parse(io.MultiReader(in...))
	if err != nil {
		return err
	}
	for _, l := range Lines(res, Figures) {
		fmt.Fprintln(stdout, l)
	}
	return nil
}
