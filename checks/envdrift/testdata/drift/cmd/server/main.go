package main

import (
	"os"
	"os/exec"

	"example.com/drift/internal/conf"
)

func main() {
	reset, _ := os.LookupEnv("KAFKA_AUTO_OFFSET_RESET")
	_ = reset
	_ = conf.FromEnv()
	_, _ = conf.Security()
	_ = conf.Topic()
	_ = conf.Expand()
	name := os.Args[1]
	_ = os.Getenv(name)
	cmd := exec.Command("true")
	cmd.Env = append(os.Environ(), "A=B")
	child := map[string]string{"CHILD_ONLY_VAR": "1"} // handed to a child, not read
	_ = child
	_ = conf.Dump()
	conf.Sweep()
	_ = conf.Wrapped()
	_ = conf.Methods()
	_ = conf.Fields()
	_ = os.Getenv("SERVER_ONLY_UNDOCUMENTED")
}
