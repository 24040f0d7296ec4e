package opscli

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/streamsvc/embedded"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
	"github.com/streamaudit/streamaudit/streamsvc/loadgen"
	"github.com/streamaudit/streamaudit/streamsvc/server"
)

func runServe(ctx context.Context, e *env, args []string) error {
	c := newFlags(e, "serve", true)
	emb := c.fs.Bool("embedded", false, "start an in-process Kafka broker and a synthetic producer (no Kafka needed)")
	var lc loadgen.Config
	c.fs.Float64Var(&lc.Rate, "embedded-rate", 20, "records per second of the embedded producer")
	c.fs.Float64Var(&lc.InvalidRatio, "embedded-invalid-ratio", 0.02, "share of invalid records of the embedded producer")
	session := c.fs.Duration("session-timeout", 45*time.Second, "consumer group session timeout: how long the group waits for a member that died before reassigning its partitions")
	if err := c.parse(args); err != nil {
		return err
	}
	if *session < time.Second {
		return fmt.Errorf("%w: --session-timeout=%v: want at least 1s", ErrUsage, *session)
	}
	if err := lc.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	var broker *embedded.Broker
	if *emb {
		// The embedded broker replaces KAFKA_BROKERS and is plaintext: the security
		// settings do not apply to it.
		parent := e
		e = &env{stdout: parent.stdout, stderr: parent.stderr, lookup: func(k string) (string, bool) {
			if strings.HasPrefix(k, "KAFKA_SECURITY_") || strings.HasPrefix(k, "KAFKA_SASL_") || strings.HasPrefix(k, "KAFKA_SSL_") || k == "KAFKA_BROKERS" {
				return "", false
			}
			return parent.lookup(k)
		}}
		base, err := c.config(e)
		if err != nil {
			return err
		}
		broker, err = embedded.Start(ctx, embedded.Options{Topics: []string{base.Topic, base.DLQTopic}})
		if err != nil {
			return err
		}
		defer broker.Close()
		c.brokers = strings.Join(broker.Addrs, ",")
		log.Info("embedded broker started", "brokers", c.brokers)
	}
	cfg, err := c.config(e)
	if err != nil {
		return err
	}
	svc, err := server.New(cfg, server.Options{Logger: log, ConsumerOpts: []kgo.Opt{kgo.SessionTimeout(*session)}})
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	if *emb {
		lc.Topic = cfg.Topic
		prod, err := kafkaconf.NewClient(cfg)
		if err != nil {
			return err
		}
		defer prod.Close()
		wg.Go(func() {
			if _, err := loadgen.Run(ctx, prod, lc); err != nil && ctx.Err() == nil {
				log.Error("embedded producer stopped", "err", err)
			}
		})
		fmt.Fprintf(e.stderr, "streamsvc (embedded): open http://%s/ for the live page, /metrics for metrics\n", svc.Addr())
	}
	err = svc.Run(ctx)
	wg.Wait()
	return err
}
