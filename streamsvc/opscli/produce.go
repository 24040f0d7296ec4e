package opscli

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
	"github.com/streamaudit/streamaudit/streamsvc/loadgen"
)

// loadFlags binds the load generator's flags.
func loadFlags(c *common, lc *loadgen.Config, defCount int) {
	c.fs.IntVar(&lc.Count, "count", defCount, "records to produce (0: until interrupted)")
	c.fs.Float64Var(&lc.Rate, "rate", 0, "records per second (0: as fast as possible)")
	c.fs.IntVar(&lc.Size, "size", 200, "approximate record size in bytes")
	c.fs.Float64Var(&lc.InvalidRatio, "invalid-ratio", 0, "share of invalid records, 0..1 (exactly floor(count*ratio))")
	c.fs.IntVar(&lc.Threads, "threads", 8, "thread ids (record keys)")
}

func runProduce(ctx context.Context, e *env, args []string) error {
	c := newFlags(e, "produce", false)
	var lc loadgen.Config
	loadFlags(c, &lc, 1000)
	if err := c.parse(args); err != nil {
		return err
	}
	if err := lc.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	cfg, err := c.config(e)
	if err != nil {
		return err
	}
	lc.Topic = cfg.Topic
	cl, err := kafkaconf.NewClient(cfg, kgo.ProducerLinger(0))
	if err != nil {
		return err
	}
	defer cl.Close()
	st, err := loadgen.Run(ctx, cl, lc)
	fmt.Fprintf(e.stdout, "produced %d records (%d invalid) to %s, %d failed\n", st.Produced, st.Invalid, cfg.Topic, st.Failed)
	if err != nil && ctx.Err() == nil {
		return err
	}
	if st.Failed > 0 {
		return fmt.Errorf("%d records not acknowledged: %w", st.Failed, st.FirstErr)
	}
	return nil
}
