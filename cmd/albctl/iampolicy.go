package main

import (
	"context"
	"fmt"

	"github.com/albctl/albctl/internal/iampolicy"
)

// iamPolicyCommand is the command table's entry for 'albctl iam-policy' (docs/security.md,
// "Generating the policy").
func iamPolicyCommand() command {
	return command{
		name: "iam-policy", summary: "print the least-privilege IAM policy for the spec in DIR",
		usage: "albctl iam-policy [-for plan|apply] [-role ARN]... [-account ID] [-var NAME=VALUE] [DIR]",
		about: "Print, as JSON, the IAM policy the role running albctl needs for the spec in DIR (default\n" +
			"\".\"): -for plan is what plan, plan -rehearse, sim snapshot and init need; -for apply (the\n" +
			"default) what apply and force-unlock need. iam:PassRole is limited to the roles of the\n" +
			"spec's instance profiles: give them with -role; without, each is a placeholder ARN named\n" +
			"after its profile (ROLE_OF_<profile>, ROLE_OF_INSTANCE_PROFILE for \"inherit\"). Reads no\n" +
			"cloud. See docs/security.md.",
		examples: []string{
			"albctl iam-policy examples/blog > apply-policy.json",
			"albctl iam-policy -for plan examples/blog",
			"albctl iam-policy -role arn:aws:iam::123456789012:role/web .",
		},
		run: (*Main).iamPolicy,
	}
}

func (m *Main) iamPolicy(_ context.Context, args []string) error {
	var c common
	var roles stringList
	fs := m.flagSet("iam-policy")
	c.registerVars(fs)
	use := fs.String("for", string(iampolicy.Apply), "which commands the policy is for: plan (plan, rehearse, sim snapshot, init) or apply (apply, force-unlock)")
	fs.Var(&roles, "role", "ARN of a role apply may pass to EC2, the role of a spec's instance profile (repeatable; replaces the placeholders)")
	account := fs.String("account", iampolicy.PlaceholderAccount, "account ID of the placeholder role ARNs")
	pos, err := m.parse(fs, args)
	if err != nil {
		return err
	}
	dir, err := oneDir("iam-policy", pos)
	if err != nil {
		return err
	}
	l, err := m.loadStack(dir, &c)
	if err != nil {
		return err
	}
	in := iampolicy.Input{Use: iampolicy.Use(*use), Roles: roles, Lock: l.stack.Cloud.Lock}
	if len(in.Roles) == 0 {
		in.Roles = iampolicy.RolePlaceholders(l.stack, *account)
	}
	p, err := iampolicy.Generate(in)
	if err != nil {
		return fmt.Errorf("iam-policy: %w", err)
	}
	_, err = m.Stdout.Write(p.JSON())
	return err
}
