// Package server wires `streamsvc serve`: the consumer loop, the DLQ writer, the lag
// monitor, the WebSocket hub, the live page and the exporter on one HTTP mux, and stops
// all of them with the context (SIGTERM): polling stops, the last records are handled
// and committed, clients close, the HTTP server drains.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamaudit/streamaudit/streamsvc/consume"
	"github.com/streamaudit/streamaudit/streamsvc/dlq"
	"github.com/streamaudit/streamaudit/streamsvc/exporter"
	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
	"github.com/streamaudit/streamaudit/streamsvc/lagmon"
	"github.com/streamaudit/streamaudit/streamsvc/web"
	"github.com/streamaudit/streamaudit/streamsvc/wsfan"
)

// Options tunes the service beyond the environment (tests, embedded mode).
type Options struct {
	Logger *slog.Logger
	// Listener overrides STREAMSVC_HTTP_ADDR (tests pass a 127.0.0.1:0 listener).
	Listener net.Listener
	Consume  consume.Config
	DLQ      dlq.Config // Topic and Mode come from the environment when empty
	WS       wsfan.Config
	Lag      lagmon.Config
	// Tap, when set, also receives every decoded record (after the WebSocket hub); it
	// must not block. Embedders and tests use it to observe delivery.
	Tap consume.Publisher
	// ConsumerOpts and ProducerOpts are appended to the clients' options.
	ConsumerOpts []kgo.Opt
	ProducerOpts []kgo.Opt
}

// CondKafkaConnect is the readiness condition of the consumer's broker connections: it
// blocks until a broker first answers and after repeated connection failures.
const CondKafkaConnect = "kafka-connect"

// Service is a configured, not yet running, streamsvc.
type Service struct {
	kc       *kafkaconf.Config
	o        Options
	log      *slog.Logger
	Metrics  *exporter.Metrics
	Ready    *exporter.Readiness
	ln       net.Listener
	consumer *consume.Consumer
	producer *kgo.Client
	lag      *lagmon.Monitor
	lagAdm   interface{ Close() }
	hubCtx   context.Context
	hubStop  context.CancelFunc
	hub      *wsfan.Hub
	mux      *http.ServeMux
}

// New builds every client and binds the HTTP listener; Run starts the work.
func New(kc *kafkaconf.Config, o Options) (*Service, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{kc: kc, o: o, log: o.Logger, Metrics: exporter.NewMetrics()}
	s.Ready = exporter.NewReadiness(s.Metrics.Ready, map[string]string{"service": "starting"})
	ok := false
	defer func() {
		if !ok {
			s.close()
		}
	}()
	var err error
	popts := append([]kgo.Opt{
		kgo.WithHooks(s.Metrics.KpromDLQ, exporter.NewConnHook(s.Metrics, exporter.InfraProduce, nil, "")),
		kgo.RecordDeliveryTimeout(10 * time.Second),
		kgo.MaxBufferedRecords(10000),
		kgo.ProducerLinger(5 * time.Millisecond),
	}, o.ProducerOpts...)
	if s.producer, err = kafkaconf.NewClient(kc, popts...); err != nil {
		return nil, err
	}
	dcfg := o.DLQ
	if dcfg.Topic == "" {
		dcfg.Topic = kc.DLQTopic
	}
	if dcfg.Mode == "" {
		dcfg.Mode = kc.DLQMode
	}
	w, err := dlq.New(dcfg, s.producer, s.Metrics)
	if err != nil {
		return nil, err
	}
	adm, err := kafkaconf.NewAdmin(kc, kgo.WithHooks(exporter.NewConnHook(s.Metrics, exporter.InfraAdmin, nil, "")))
	if err != nil {
		return nil, err
	}
	s.lagAdm = adm
	if s.lag, err = lagmon.New(o.Lag, s.Metrics.Registry, adm); err != nil {
		return nil, fmt.Errorf("lag monitor: %w", err)
	}
	s.Metrics.AddSource(s.lag.Exposition()) // per-partition gauges outside Registry.Gather
	s.hubCtx, s.hubStop = context.WithCancel(context.Background())
	wcfg := o.WS
	if wcfg.Token == "" {
		wcfg.Token = kc.WSToken.Reveal()
	}
	if wcfg.Origins == nil {
		wcfg.Origins = kc.WSOrigins
	}
	s.hub = wsfan.New(s.hubCtx, wcfg, s.Metrics)
	ccfg := o.Consume
	if ccfg.Logger == nil {
		ccfg.Logger = s.log
	}
	var pub consume.Publisher = s.hub
	if o.Tap != nil {
		pub = tee{s.hub, o.Tap}
	}
	copts := append([]kgo.Opt{kgo.WithHooks(exporter.NewConnHook(s.Metrics, exporter.InfraFetch, s.Ready, CondKafkaConnect))}, o.ConsumerOpts...)
	s.consumer, err = consume.New(kc, ccfg, consume.Deps{Metrics: s.Metrics, Ready: s.Ready, Hub: pub, Lag: s.lag, DLQ: w}, copts...)
	if err != nil {
		return nil, err
	}
	s.mux = http.NewServeMux()
	exporter.Register(s.mux, s.Metrics, s.Ready)
	s.mux.Handle("GET /ws", s.hub)
	s.mux.Handle("GET /", web.Handler())
	s.ln = o.Listener
	if s.ln == nil {
		if s.ln, err = net.Listen("tcp", kc.HTTPAddr); err != nil {
			return nil, fmt.Errorf("STREAMSVC_HTTP_ADDR=%q: %w", kc.HTTPAddr, err)
		}
	}
	ok = true
	return s, nil
}

// Addr is the HTTP listen address.
func (s *Service) Addr() string { return s.ln.Addr().String() }

// Consumer returns the consume loop (tests).
func (s *Service) Consumer() *consume.Consumer { return s.consumer }

func (s *Service) close() {
	if s.producer != nil {
		s.producer.Close()
	}
	if s.lagAdm != nil {
		s.lagAdm.Close()
	}
	if s.hubStop != nil {
		s.hubStop()
	}
	if s.ln != nil && s.o.Listener == nil {
		s.ln.Close()
	}
}

// Run serves until ctx ends, then shuts everything down in order: stop polling and
// commit, disconnect WebSocket clients, drain HTTP, flush and close the DLQ producer.
func (s *Service) Run(ctx context.Context) error {
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	httpErr := make(chan error, 1)
	wg.Go(func() {
		if err := srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			httpErr <- fmt.Errorf("http: %w", err)
		}
	})
	lagCtx, lagStop := context.WithCancel(context.WithoutCancel(ctx))
	wg.Go(func() {
		if err := s.lag.Run(lagCtx); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Warn("lag monitor stopped", "err", err)
		}
	})
	s.Ready.Clear("service")
	s.log.Info("serving", "addr", s.Addr(), "kafka", s.kc.String())

	cctx, cstop := context.WithCancel(ctx)
	consumeDone := make(chan error, 1)
	go func() { consumeDone <- s.consumer.Run(cctx) }()
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-httpErr:
	}
	s.Ready.Block("service", "shutting down")
	cstop()
	if err := <-consumeDone; err != nil && runErr == nil {
		runErr = err
	}
	s.hubStop()
	s.hub.Wait()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		s.log.Warn("http shutdown", "err", err)
	}
	if err := s.producer.Flush(sctx); err != nil {
		s.log.Warn("DLQ producer flush", "err", err)
	}
	lagStop()
	wg.Wait()
	s.close()
	s.log.Info("stopped")
	return runErr
}

type tee [2]consume.Publisher

func (t tee) Publish(thread string, msg []byte) {
	t[0].Publish(thread, msg)
	t[1].Publish(thread, msg)
}
