package soak

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// externalTopics gives a scenario on an external cluster (SOAK_BROKERS) topics of its
// own: the cluster outlives scenarios, and a new group reading from the earliest offset
// would otherwise start behind the whole backlog of earlier scenarios (a lag alert that is
// the harness's doing). It creates <topic>-soak-<unix>-<n> with -partitions partitions and
// its -dlq topic with one, at the cluster's default replication factor.
func (r *run) externalTopics(ctx context.Context, adm *kadm.Client) error {
	r.topic = fmt.Sprintf("%s-soak-%d-%d", r.o.Topic, time.Now().Unix(), r.runN)
	r.dlq = r.topic + "-dlq"
	r.res.Broker = "external " + r.env.Brokers + ", topics " + r.topic + " and " + r.dlq
	for _, t := range []struct {
		name  string
		parts int32
	}{{r.topic, int32(r.o.Partitions)}, {r.dlq, 1}} {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		res, err := adm.CreateTopic(cctx, t.parts, -1, nil, t.name)
		cancel()
		if err == nil {
			err = res.Err
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("SOAK_BROKERS=%s: create topic %s: %w (the soak creates a topic pair per scenario on an external cluster)", r.env.Brokers, t.name, err)
		}
	}
	r.logf("external cluster %s: topics %s and %s", r.env.Brokers, r.topic, r.dlq)
	return nil
}

// deleteExternalTopics removes the scenario's topics from the external cluster (best
// effort: a failure is noted, not fatal).
func (r *run) deleteExternalTopics(adm *kadm.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := adm.DeleteTopics(ctx, r.topic, r.dlq)
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		r.res.Notes = append(r.res.Notes, fmt.Sprintf("could not delete the scenario's topics %s and %s from the external cluster: %v", r.topic, r.dlq, err))
	}
}
