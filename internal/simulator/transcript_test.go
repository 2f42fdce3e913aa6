package simulator

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
)

// Transcript tests: testdata/*.txt hold journeys on the seed world, each a command, a
// "----" line, and the expected output up to a blank line. Run with -update to rewrite the
// expected output. Commands (IDs may be $variables; "as NAME" binds the result):
//
//	tick DURATION                         advance the clock
//	run-instances SUBNET [image=AMI] [token=T] [profile=NAME] [count=N] [as NAME]
//	create-image INSTANCE NAME [no-reboot] [as NAME]
//	terminate INSTANCE
//	associate INSTANCE PROFILE
//	instance INSTANCE | image IMAGE       print the state
//	register INSTANCE... | deregister INSTANCE...
//	health [INSTANCE...]                  DescribeTargetHealth of web-tg
//	set-subnets SUBNET...
//	modify-attributes KEY=VALUE...
//	throttle OPERATION N                  fault: the next N calls fail
//	calls                                 the call counts, then reset them
func TestTranscripts(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no transcripts")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { runTranscript(t, f) })
	}
}

type transcript struct {
	t    *testing.T
	s    *Sim
	vars map[string]string
}

func runTranscript(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr := &transcript{t: t, s: New(SeedWorld(), checkRoundTrips(t)), vars: map[string]string{
		"src": SeedInstance, "ami": SeedImage, "s1a": SeedSubnet1a, "s1c": SeedSubnet1c, "s1d": SeedSubnet1d,
	}}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	var out strings.Builder
	failed := false
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		out.WriteString(line + "\n")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i+1 >= len(lines) || lines[i+1] != "----" {
			t.Fatalf("%s:%d: command without a ---- line", path, i+1)
		}
		i++
		var want []string
		for i+1 < len(lines) && lines[i+1] != "" {
			i++
			want = append(want, lines[i])
		}
		got := tr.do(line)
		out.WriteString("----\n" + got)
		if exp := strings.Join(want, "\n") + "\n"; got != exp && !*update {
			t.Errorf("%s:%d: %s\ngot:\n%swant:\n%s", path, i+1, line, got, exp)
			failed = true
		}
	}
	if *update {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if failed {
		t.Log("run go test ./simulator -run TestTranscripts -update to accept the output")
	}
}

func (tr *transcript) expand(arg string) string {
	if strings.HasPrefix(arg, "$") {
		v, ok := tr.vars[arg[1:]]
		if !ok {
			tr.t.Fatalf("unknown variable %s", arg)
		}
		return v
	}
	return arg
}

// do runs one command line and returns its output, one line each, ending in a newline.
func (tr *transcript) do(line string) string {
	words := strings.Fields(line)
	as := ""
	if n := len(words); n >= 3 && words[n-2] == "as" {
		as, words = words[n-1], words[:n-2]
	}
	cmd, args := words[0], words[1:]
	opts := map[string]string{}
	var pos []string
	for _, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok && cmd != "modify-attributes" {
			opts[k] = tr.expand(v)
		} else {
			pos = append(pos, tr.expand(a))
		}
	}
	var lines []string
	var result string
	var err error
	switch cmd {
	case "tick", "throttle", "calls":
		lines = tr.control(cmd, pos)
	case "run-instances":
		lines, result, err = tr.runInstances(pos, opts)
	case "create-image", "terminate", "associate", "instance", "image":
		lines, result, err = tr.ec2(cmd, pos)
	case "register", "deregister", "health", "set-subnets", "modify-attributes":
		lines, err = tr.elb(cmd, pos)
	default:
		tr.t.Fatalf("unknown command %q", cmd)
	}
	if err != nil {
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			tr.t.Fatalf("%s: %v", line, err)
		}
		lines = append(lines, "error "+ae.ErrorCode()+": "+ae.ErrorMessage())
	} else if as != "" {
		tr.vars[as] = result
	}
	if len(lines) == 0 {
		lines = []string{"(nothing)"}
	}
	return strings.Join(lines, "\n") + "\n"
}

// control runs the commands that drive the simulator rather than call it: tick, throttle
// and calls.
func (tr *transcript) control(cmd string, pos []string) (lines []string) {
	s := tr.s
	switch cmd {
	case "tick":
		d, perr := time.ParseDuration(pos[0])
		if perr != nil {
			tr.t.Fatal(perr)
		}
		s.Clock().Advance(d)
		lines = append(lines, "now "+s.Clock().Now().Format(time.RFC3339))
	case "throttle":
		var n int
		fmt.Sscan(pos[1], &n)
		s.mu.Lock()
		if s.w.Faults.Throttle == nil {
			s.w.Faults.Throttle = map[string]int{}
		}
		s.w.Faults.Throttle[pos[0]] = n
		s.mu.Unlock()
		lines = append(lines, "ok")
	case "calls":
		calls := s.Calls()
		for _, op := range append(append([]string{}, ec2Ops...), elbOps...) {
			if n := calls[op]; n > 0 {
				lines = append(lines, fmt.Sprintf("%s %d", op, n))
			}
		}
		s.ResetCalls()
	}
	return lines
}

// runInstances runs run-instances SUBNET [image=…] [token=…] [profile=…] [count=…].
func (tr *transcript) runInstances(pos []string, opts map[string]string) (lines []string, result string, err error) {
	in := runInput(pos[0])
	if v := opts["image"]; v != "" {
		in.ImageId = aws.String(v)
	}
	if v := opts["token"]; v != "" {
		in.ClientToken = aws.String(v)
	}
	if v := opts["profile"]; v != "" {
		in.IamInstanceProfile = &ec2types.IamInstanceProfileSpecification{Name: aws.String(v)}
	}
	if v := opts["count"]; v != "" {
		var n int32
		fmt.Sscan(v, &n)
		in.MinCount, in.MaxCount = aws.Int32(n), aws.Int32(n)
	}
	var out *ec2.RunInstancesOutput
	if out, err = tr.s.EC2().RunInstances(ctx, in); err == nil {
		for _, i := range out.Instances {
			lines = append(lines, fmt.Sprintf("%s %s %s", aws.ToString(i.InstanceId), i.State.Name, aws.ToString(i.Placement.AvailabilityZone)))
		}
		result = aws.ToString(out.Instances[0].InstanceId)
	}
	return lines, result, err
}

// ec2 runs the EC2 commands but run-instances.
func (tr *transcript) ec2(cmd string, pos []string) (lines []string, result string, err error) {
	s := tr.s
	switch cmd {
	case "create-image":
		in := &ec2.CreateImageInput{InstanceId: aws.String(pos[0]), Name: aws.String(pos[1])}
		if len(pos) > 2 && pos[2] == "no-reboot" {
			in.NoReboot = aws.Bool(true)
		}
		var out *ec2.CreateImageOutput
		if out, err = s.EC2().CreateImage(ctx, in); err == nil {
			result = aws.ToString(out.ImageId)
			lines = append(lines, result)
		}
	case "terminate":
		var out *ec2.TerminateInstancesOutput
		if out, err = s.EC2().TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: pos}); err == nil {
			for _, c := range out.TerminatingInstances {
				lines = append(lines, fmt.Sprintf("%s %s -> %s", aws.ToString(c.InstanceId), c.PreviousState.Name, c.CurrentState.Name))
			}
		}
	case "associate":
		_, err = s.EC2().AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(pos[0]),
			IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String(pos[1])}})
		if err == nil {
			lines = append(lines, "ok")
		}
	case "instance":
		var out *ec2.DescribeInstancesOutput
		if out, err = s.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: pos}); err == nil {
			for _, r := range out.Reservations {
				for _, i := range r.Instances {
					p := "-"
					if i.IamInstanceProfile != nil {
						p = aws.ToString(i.IamInstanceProfile.Arn)
					}
					lines = append(lines, fmt.Sprintf("%s %s profile=%s", aws.ToString(i.InstanceId), i.State.Name, p))
				}
			}
		}
	case "image":
		var out *ec2.DescribeImagesOutput
		if out, err = s.EC2().DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: pos}); err == nil {
			for _, im := range out.Images {
				lines = append(lines, fmt.Sprintf("%s %s %s", aws.ToString(im.ImageId), aws.ToString(im.Name), im.State))
			}
		}
	}
	return lines, result, err
}

// elb runs the ELBv2 commands, on the seed target group and load balancer.
func (tr *transcript) elb(cmd string, pos []string) (lines []string, err error) {
	s := tr.s
	switch cmd {
	case "register", "deregister":
		var targets []elbtypes.TargetDescription
		for _, id := range pos {
			targets = append(targets, elbtypes.TargetDescription{Id: aws.String(id)})
		}
		if cmd == "register" {
			_, err = s.ELBV2().RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(SeedTargetGroup), Targets: targets})
		} else {
			_, err = s.ELBV2().DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: aws.String(SeedTargetGroup), Targets: targets})
		}
		if err == nil {
			lines = append(lines, "ok")
		}
	case "health":
		in := &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(SeedTargetGroup)}
		for _, id := range pos {
			in.Targets = append(in.Targets, elbtypes.TargetDescription{Id: aws.String(id)})
		}
		var out *elbv2.DescribeTargetHealthOutput
		if out, err = s.ELBV2().DescribeTargetHealth(ctx, in); err == nil {
			for _, d := range out.TargetHealthDescriptions {
				h := string(d.TargetHealth.State)
				if d.TargetHealth.Reason != "" {
					h += " " + string(d.TargetHealth.Reason)
				}
				lines = append(lines, fmt.Sprintf("%s:%d %s", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port), h))
			}
		}
	case "set-subnets":
		var out *elbv2.SetSubnetsOutput
		if out, err = s.ELBV2().SetSubnets(ctx, &elbv2.SetSubnetsInput{LoadBalancerArn: aws.String(SeedALB), Subnets: pos}); err == nil {
			for _, z := range out.AvailabilityZones {
				lines = append(lines, aws.ToString(z.ZoneName)+" "+aws.ToString(z.SubnetId))
			}
		}
	case "modify-attributes":
		var attrs []elbtypes.TargetGroupAttribute
		for _, a := range pos {
			k, v, _ := strings.Cut(a, "=")
			attrs = append(attrs, elbtypes.TargetGroupAttribute{Key: aws.String(k), Value: aws.String(v)})
		}
		_, err = s.ELBV2().ModifyTargetGroupAttributes(ctx, &elbv2.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(SeedTargetGroup), Attributes: attrs})
		if err == nil {
			lines = append(lines, "ok")
		}
	}
	return lines, err
}
