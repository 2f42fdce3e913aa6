package simulator

import (
	"github.com/aws/smithy-go"
)

// EC2 is the simulated EC2 client. Its methods have the signatures of *ec2.Client's; the
// optFns are accepted and ignored.
type EC2 struct{ s *Sim }

func ec2Throttle() *smithy.GenericAPIError {
	return &smithy.GenericAPIError{Code: "RequestLimitExceeded", Message: "Request limit exceeded.", Fault: smithy.FaultClient}
}
