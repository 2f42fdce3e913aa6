package main

import (
	"context"
	"fmt"
	"github.com/albctl/albctl/internal/views"
)

func (m *Main) validate(_ context.Context, args []string) error {
	var c common
	fs := m.flagSet("validate")
	c.registerVars(fs)
	pos, err := m.parse(fs, args)
	if err != nil {
		return err
	}
	dir, err := oneDir("validate", pos)
	if err != nil {
		return err
	}
	l, err := m.loadStack(dir, &c)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Success! The spec is valid: %s, %s, %s.\n",
		views.Plural(len(l.stack.TargetGroups), "target group"), views.Plural(len(l.stack.LoadBalancers), "load balancer"), views.Plural(len(l.stack.Fleets), "fleet"))
	return nil
}
