package soak

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestMainRejectsBadUsage(t *testing.T) {
	cases := []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"-target", "kafka-ui"}, "", `target "kafka-ui"`},
		{[]string{"-scenario", "chaos"}, "", `scenario "chaos"`},
		{[]string{"-fail-on", "fatal"}, "", `-fail-on="fatal"`},
		{[]string{"-rate", "0"}, "", "must be positive"},
		{[]string{"a", "b"}, "", "at most one directory"},
		{nil, "ten minutes", `SOAK_DURATION="ten minutes"`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " ")+c.env, func(t *testing.T) {
			t.Setenv("SOAK_DURATION", c.env)
			var out, errb bytes.Buffer
			err := Main(context.Background(), c.args, &out, &errb)
			if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Main(%q) = %v; want a usage error mentioning %q", c.args, err, c.want)
			}
		})
	}
}

func TestMainHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if err := Main(context.Background(), []string{"-h"}, &out, &errb); err != nil {
		t.Fatalf("-h: %v", err)
	}
	for _, want := range []string{"-duration", "SOAK_DURATION", "SOAK_BROKERS", "dlq-outage"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, errb.String())
		}
	}
}

func TestMarkdownLinksPlotsAndFailures(t *testing.T) {
	res := &Result{Target: "dashstream-v7", Scenario: "rebalance", Plots: []string{"lag-dashstream-v7-rebalance.png"},
		Ownership: []OwnershipCheck{CheckOwnership(OwnershipCheck{Event: "leave #1", Member: "m1", Owned: []int32{0}, Exported: []int32{0, 1}})}}
	res.Findings = Findings(Subject{Target: res.Target, Source: "x"}, res.Scenario, nil, res.Ownership, nil, nil)
	md := Markdown(Figures{Results: []*Result{res}, Options: FigOpts{Limits: testLimits}}, res.Findings, nil)
	for _, want := range []string{"![lag-dashstream-v7-rebalance.png](lag-dashstream-v7-rebalance.png)", "**FAIL**: soak-stale-gauge", "stale [1]"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}
