package main

import (
	"context"
	"fmt"
)

func (m *Main) validate(_ context.Context, args []string) error {
	var c common
	fs := newFlagSet("validate", m.Stderr)
	fs.Var(&c.vars, "var", "set a variable: -var 'name=value' (repeatable)")
	fs.Var(&c.varFiles, "var-file", "load variable values from an HCL file (repeatable)")
	pos, err := parseInterspersed(fs, args)
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
	fmt.Fprintf(m.Stdout, "Success! The spec is valid: %d target group(s), %d load balancer(s), %d fleet(s).\n",
		len(l.stack.TargetGroups), len(l.stack.LoadBalancers), len(l.stack.Fleets))
	return nil
}
