package server_test

import (
	"strconv"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/streamsvc/loadgen"
	"github.com/streamaudit/streamaudit/streamsvc/server"
)

// BenchmarkServeEndToEnd measures records per second through the whole service (fetch,
// decode, fan-out, commit) from a backlog produced by loadgen, for two record sizes.
func BenchmarkServeEndToEnd(b *testing.B) {
	for _, size := range []int{200, 1024} {
		b.Run("size="+strconv.Itoa(size), func(b *testing.B) {
			c := clusterB(b, 6)
			kc := c.Config(b, map[string]string{"KAFKA_GROUP_ID": "bench-" + strconv.Itoa(size)})
			cl, err := newProducer(kc)
			if err != nil {
				b.Fatal(err)
			}
			defer cl.Close()
			if _, err := loadgen.Run(b.Context(), cl, loadgen.Config{Topic: topic, Count: b.N, Size: size, InvalidRatio: 0.01}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			svc, err := server.New(kc, server.Options{ConsumerOpts: []kgo.Opt{kgo.FetchMaxBytes(16 << 20)}})
			if err != nil {
				b.Fatal(err)
			}
			done := make(chan error, 1)
			ctx, cancel := contextWithCancel()
			go func() { done <- svc.Run(ctx) }()
			for val(svc.Metrics.MessagesSuccess)+val(svc.Metrics.MessagesError) < float64(b.N) {
				spin()
			}
			b.StopTimer()
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
