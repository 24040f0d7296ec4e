package main

import (
	"os"

	"github.com/spf13/cobra"
)

var brokers, topic string

func newTail() *cobra.Command {
	cmd := &cobra.Command{Use: "tail [flags]"}
	cmd.Flags().StringVar(&brokers, "brokers", os.Getenv("KAFKA_BROKERS"), "brokers")
	cmd.Flags().StringVarP(&topic, "topic", "t", os.Getenv("KAFKA_TOPIC"), "topic")
	return cmd
}

func newLag() *cobra.Command {
	cmd := &cobra.Command{Use: "lag"}
	cmd.Flags().StringVar(&brokers, "brokers", os.Getenv("KAFKA_BOOTSTRAP"), "brokers") // want `flag --brokers of command lag binds KAFKA_BOOTSTRAP instead of KAFKA_BROKERS`
	cmd.Flags().StringVarP(&topic, "topic", "t", os.Getenv("KAFKA_TOPIC"), "topic")
	return cmd
}

func main() {
	root := &cobra.Command{Use: "ops"}
	root.AddCommand(newTail(), newLag())
}
