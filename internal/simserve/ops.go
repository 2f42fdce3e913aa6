package simserve

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/albctl/albctl/internal/simulator"
)

// service is one AWS service as served: its signing name, protocol, API version and XML
// namespace, and its operations.
type service struct {
	name    string // the SigV4 signing name: ec2, elasticloadbalancing, iam, sts
	p       protocol
	version string
	xmlns   string
	ops     map[string]operation
	global  bool // signed for us-east-1 whatever the client's region (IAM)
}

// operation is one served action: a method with the SDK client's signature,
// Op(ctx, *OpInput, ...func(*Options)) (*OpOutput, error).
type operation struct {
	method reflect.Value
	input  reflect.Type // the input struct type
}

func (o operation) call(ctx context.Context, in reflect.Value) (any, error) {
	out := o.method.Call([]reflect.Value{reflect.ValueOf(ctx), in})
	err, _ := out[1].Interface().(error)
	return out[0].Interface(), err
}

var ctxType = reflect.TypeFor[context.Context]()

// operationsOf lists the methods of client that have an SDK client's signature: the set of
// served operations is the simulator's, whatever it grows to (docs/sim-serve.md).
func operationsOf(client any) map[string]operation {
	v := reflect.ValueOf(client)
	ops := map[string]operation{}
	for i := range v.NumMethod() {
		m, mt := v.Type().Method(i), v.Method(i).Type()
		if mt.NumIn() != 3 || !mt.IsVariadic() || mt.In(0) != ctxType || mt.NumOut() != 2 {
			continue
		}
		in, out := mt.In(1), mt.Out(0)
		if in.Kind() != reflect.Pointer || out.Kind() != reflect.Pointer ||
			in.Elem().Name() != m.Name+"Input" || out.Elem().Name() != m.Name+"Output" ||
			!strings.HasPrefix(in.Elem().PkgPath(), "github.com/aws/aws-sdk-go-v2/service/") {
			continue
		}
		ops[m.Name] = operation{method: v.Method(i), input: in.Elem()}
	}
	return ops
}

// services lists what a simulator serves, by signing name.
func services(sim *simulator.Sim, id *identity) map[string]*service {
	return serviceTable(sim.EC2(), sim.ELBV2(), sim.IAM(), id)
}

// serviceTable lists the services of the given clients (nil pointers list the operations
// without serving them).
func serviceTable(ec2c, elbc, iamc, stsc any) map[string]*service {
	return map[string]*service{
		"ec2": {name: "ec2", p: ec2Query, version: "2016-11-15", xmlns: "http://ec2.amazonaws.com/doc/2016-11-15/",
			ops: operationsOf(ec2c)},
		"elasticloadbalancing": {name: "elasticloadbalancing", p: awsQuery, version: "2015-12-01",
			xmlns: "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/", ops: operationsOf(elbc)},
		"iam": {name: "iam", p: awsQuery, version: "2010-05-08", xmlns: "https://iam.amazonaws.com/doc/2010-05-08/",
			ops: operationsOf(iamc), global: true},
		"sts": {name: "sts", p: awsQuery, version: "2011-06-15", xmlns: "https://sts.amazonaws.com/doc/2011-06-15/",
			ops: operationsOf(stsc)},
	}
}

// Operations lists every served operation as "service:Action", sorted: the query
// operations of the simulator and STS, and the S3 object operations.
func Operations() []string {
	var out []string
	for name, svc := range serviceTable((*simulator.EC2)(nil), (*simulator.ELBV2)(nil), (*simulator.IAM)(nil), (*identity)(nil)) {
		for op := range svc.ops {
			out = append(out, name+":"+op)
		}
	}
	for _, op := range s3Operations {
		out = append(out, "s3:"+op)
	}
	slices.Sort(out)
	return out
}

// identity answers STS GetCallerIdentity: the world's account, as a user named for the
// simulator (docs/sim-serve.md).
type identity struct{ account string }

// GetCallerIdentity returns who the caller is: any credentials are this one identity.
func (id *identity) GetCallerIdentity(ctx context.Context, _ *sts.GetCallerIdentityInput, _ ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("GetCallerIdentity: %w", err)
	}
	return &sts.GetCallerIdentityOutput{
		Account: aws.String(id.account),
		Arn:     aws.String("arn:aws:iam::" + id.account + ":user/albctl-sim"),
		UserId:  aws.String("AIDAALBCTLSIMSERVE0001"),
	}, nil
}
