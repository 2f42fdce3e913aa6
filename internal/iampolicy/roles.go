package iampolicy

import (
	"strings"

	"github.com/albctl/albctl/internal/specs"
)

// PlaceholderAccount is the account of a placeholder role ARN whose profile is named without
// an account (docs/security.md, "Generating the policy").
const PlaceholderAccount = "123456789012"

// InheritPlaceholder is the role name placeholder for a fleet that inherits its source's
// instance profile: which profile that is, the spec does not say.
const InheritPlaceholder = "ROLE_OF_INSTANCE_PROFILE"

// RolePlaceholders are stand-ins for the roles behind the spec's instance profiles, which
// only IAM knows (iam:GetInstanceProfile): arn:aws:iam::ACCOUNT:role/ROLE_OF_<profile name>
// for a named profile (ACCOUNT from the profile's ARN when the spec gives one, else account),
// and ROLE_OF_INSTANCE_PROFILE for a fleet that inherits its source's. Sorted, no repeats.
func RolePlaceholders(s *specs.Stack, account string) []string {
	var out []string
	for _, f := range s.Fleets {
		partition, acct, name := "aws", account, InheritPlaceholder
		switch p := f.IAMInstanceProfile; {
		case p == "" || p == specs.InheritProfile:
		case strings.HasPrefix(p, "arn:"):
			// arn:PARTITION:iam::ACCOUNT:instance-profile/PATH/NAME
			if parts := strings.SplitN(p, ":", 6); len(parts) == 6 && parts[1] != "" && parts[4] != "" {
				partition, acct = parts[1], parts[4]
			}
			name = "ROLE_OF_" + p[strings.LastIndex(p, "/")+1:]
		default:
			name = "ROLE_OF_" + p
		}
		out = append(out, "arn:"+partition+":iam::"+acct+":role/"+name)
	}
	return sortedUnique(out)
}
