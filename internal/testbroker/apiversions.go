package testbroker

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

// kfake registers SaslHandshake (key 17) as v1..v1. librdkafka reads that range from
// ApiVersions and refuses SASL ("SASL Handshake not supported by broker") unless v0 is
// listed, although it then sends v1. We answer ApiVersions ourselves with kfake's own
// answer, except that key 17 starts at v0. kfake builds its answer from package state we
// cannot reach, so we ask a throwaway plaintext kfake cluster once per process.

var (
	probeOnce sync.Mutex
	probed    *kmsg.ApiVersionsResponse
)

func probeAPIVersions(ctx context.Context) (*kmsg.ApiVersionsResponse, error) {
	probeOnce.Lock()
	defer probeOnce.Unlock()
	if probed != nil {
		return probed, nil
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		return nil, fmt.Errorf("probe api versions: %w", err)
	}
	defer c.Close()
	cfg, err := kafkaconf.FromMap(map[string]string{"KAFKA_BROKERS": c.ListenAddrs()[0]})
	if err != nil {
		return nil, fmt.Errorf("probe api versions: %w", err)
	}
	cl, err := kafkaconf.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("probe api versions: %w", err)
	}
	defer cl.Close()
	req := kmsg.NewPtrApiVersionsRequest()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("probe api versions: %w", err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, fmt.Errorf("probe api versions: %w", err)
	}
	for i, k := range resp.ApiKeys {
		if k.ApiKey == int16(kmsg.SASLHandshake) {
			resp.ApiKeys[i].MinVersion = 0
		}
	}
	probed = resp
	return probed, nil
}

// advertiseHandshakeV0 installs a kept ApiVersions control answering with versions.
func (b *Broker) advertiseHandshakeV0(versions *kmsg.ApiVersionsResponse) {
	var maxV int16 = 5
	for _, k := range versions.ApiKeys {
		if k.ApiKey == int16(kmsg.ApiVersions) {
			maxV = k.MaxVersion
		}
	}
	b.Cluster.ControlKey(int16(kmsg.ApiVersions), func(r kmsg.Request) (kmsg.Response, error, bool) {
		b.Cluster.KeepControl()
		req, ok := r.(*kmsg.ApiVersionsRequest)
		if !ok {
			return nil, nil, false
		}
		if req.Version > maxV || req.Version >= 5 && (req.ClusterID != nil || req.NodeID != -1) {
			// Out of range, or a KIP-1242 check of the cluster and node: let kfake answer.
			return nil, nil, false
		}
		resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
		resp.ApiKeys = slices.Clone(versions.ApiKeys)
		resp.SupportedFeatures = slices.Clone(versions.SupportedFeatures)
		resp.FinalizedFeatures = slices.Clone(versions.FinalizedFeatures)
		resp.FinalizedFeaturesEpoch = versions.FinalizedFeaturesEpoch
		return resp, nil, true
	})
}
