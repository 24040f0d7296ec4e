package opscli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/streamaudit/streamaudit/streamsvc/kafkaconf"
)

func runLag(ctx context.Context, e *env, args []string) error {
	c := newFlags(e, "lag", true)
	if err := c.parse(args); err != nil {
		return err
	}
	cfg, err := c.config(e)
	if err != nil {
		return err
	}
	adm, err := kafkaconf.NewAdmin(cfg)
	if err != nil {
		return err
	}
	defer adm.Close()
	lags, err := adm.Lag(ctx, cfg.GroupID)
	if err != nil {
		return fmt.Errorf("lag of group %s: %w", cfg.GroupID, err)
	}
	gl, ok := lags[cfg.GroupID]
	if !ok {
		return fmt.Errorf("lag of group %s: no answer", cfg.GroupID)
	}
	if gl.Error() != nil {
		return fmt.Errorf("lag of group %s: %w", cfg.GroupID, gl.Error())
	}
	ends, err := adm.ListEndOffsets(ctx, cfg.Topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return fmt.Errorf("end offsets of %s: %w", cfg.Topic, err)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "GROUP\tTOPIC\tPARTITION\tCOMMITTED\tEND\tLAG\tMEMBER\n")
	var total int64
	byPart := map[int32]kadm.GroupMemberLag{}
	for _, l := range gl.Lag[cfg.Topic] {
		byPart[l.Partition] = l
	}
	endBy := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) { endBy[o.Partition] = o.Offset })
	for _, p := range sortedPartitions(endBy) {
		l, has := byPart[p]
		committed, lag := "-", endBy[p]
		member := "-"
		if has {
			if l.Commit.At >= 0 {
				committed = fmt.Sprint(l.Commit.At)
			}
			lag = l.Lag
			if l.Member != nil {
				member = l.Member.ClientID
			}
		}
		total += lag
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%d\t%s\n", cfg.GroupID, cfg.Topic, p, committed, endBy[p], lag, member)
	}
	fmt.Fprintf(tw, "\t\t\t\t\t%d\ttotal\n", total)
	return tw.Flush()
}
