package simulator

import (
	"time"

	"github.com/albctl/albctl/internal/clock"
)

// Fixed IDs of the seed scenario's resources.
const (
	SeedVPC         = "vpc-0a1b2c3d4e5f60001"
	SeedSubnet1a    = "subnet-0a1b2c3d4e5f61a01"
	SeedSubnet1c    = "subnet-0a1b2c3d4e5f61c01"
	SeedSubnet1d    = "subnet-0a1b2c3d4e5f61d01"
	SeedWebSG       = "sg-0a1b2c3d4e5f60010"
	SeedALBSG       = "sg-0a1b2c3d4e5f60011"
	SeedNetworkACL  = "acl-0a1b2c3d4e5f60020"
	SeedProfileARN  = "arn:aws:iam::123456789012:instance-profile/web-app"
	SeedImage       = "ami-0a1b2c3d4e5f60100"
	SeedInstance    = "i-0a1b2c3d4e5f60001"
	SeedTargetGroup = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/web-tg/0a1b2c3d4e5f6001"
	SeedALB         = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/web-alb/0a1b2c3d4e5f6002"
	SeedListener    = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:listener/app/web-alb/0a1b2c3d4e5f6002/0a1b2c3d4e5f6003"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// SeedWorld returns the seed scenario (examples/blog/world.json): one web instance in
// ap-northeast-1a, registered and healthy in target group web-tg behind the ALB web-alb,
// which is enabled in 1a, 1c and 1d. The instance's security group admits HTTP from the
// 1a and 1d subnets only, so the 1c node answers 504 for its third of the requests.
func SeedWorld() *World {
	w := &World{
		AccountID: "123456789012",
		Region:    "ap-northeast-1",
		Now:       at("2023-05-14T09:00:00Z"),
		Seed:      1,
	}
	seedNetwork(w)
	seedWebServer(w)
	seedLoadBalancer(w)
	w.normalize()
	return w
}

// seedNetwork adds the VPC, its three public subnets, the security groups and the default
// network ACL.
func seedNetwork(w *World) {
	w.VPCs = []VPC{
		{ID: SeedVPC, CIDR: "10.0.0.0/16", Tags: map[string]string{"Name": "web-vpc"}},
	}
	w.Subnets = []Subnet{
		{ID: SeedSubnet1a, VPC: SeedVPC, AZ: "ap-northeast-1a", CIDR: "10.0.1.0/24", Tags: map[string]string{"Name": "web-public-1a"}},
		{ID: SeedSubnet1c, VPC: SeedVPC, AZ: "ap-northeast-1c", CIDR: "10.0.2.0/24", Tags: map[string]string{"Name": "web-public-1c"}},
		{ID: SeedSubnet1d, VPC: SeedVPC, AZ: "ap-northeast-1d", CIDR: "10.0.3.0/24", Tags: map[string]string{"Name": "web-public-1d"}},
	}
	w.SecurityGroups = []SecurityGroup{
		// The web servers admit HTTP from the load balancer subnets of 1a and 1d only —
		// written when the ALB had those two zones; 1c was added later. The 1c node cannot
		// reach any target: its third of the traffic gets 504 until the trim removes it.
		{ID: SeedWebSG, Name: "web-sg", VPC: SeedVPC, Description: "web servers: HTTP from the load balancer", Ingress: &[]IngressRule{
			{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.1.0/24", "10.0.3.0/24"}, Description: "HTTP from the ALB in 1a and 1d"},
		}},
		{ID: SeedALBSG, Name: "web-alb-sg", VPC: SeedVPC, Description: "load balancer: HTTP from anywhere", Ingress: &[]IngressRule{
			{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"0.0.0.0/0"}, Description: "HTTP from anywhere"},
		}},
	}
	w.NetworkACLs = []NetworkACL{{
		// The VPC's default network ACL, as AWS creates it: everything in and out.
		ID: SeedNetworkACL, VPC: SeedVPC, IsDefault: true,
		Subnets:  []string{SeedSubnet1a, SeedSubnet1c, SeedSubnet1d},
		Inbound:  []ACLRule{{Number: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"}},
		Outbound: []ACLRule{{Number: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"}},
	}}
}

// seedWebServer adds the web instance, the image it was launched from and its instance
// profile.
func seedWebServer(w *World) {
	w.InstanceProfiles = []InstanceProfile{
		{Name: "web-app", ARN: SeedProfileARN, ID: "AIPA4WEBAPPEXAMPLE01", CreatedAt: at("2022-06-01T00:00:00Z")},
	}
	w.Images = []Image{{
		ID:        SeedImage,
		Name:      "web-base-2022-11-01",
		State:     "available",
		Owner:     w.AccountID,
		CreatedAt: at("2022-11-01T03:00:00Z"),
		Tags:      map[string]string{"Name": "web-base"},
	}}
	w.Instances = []Instance{{
		ID:             SeedInstance,
		State:          "running",
		AZ:             "ap-northeast-1a",
		Subnet:         SeedSubnet1a,
		VPC:            SeedVPC,
		Image:          SeedImage,
		Type:           "t3.small",
		Key:            "web-key",
		SecurityGroups: []string{SeedWebSG},
		IAMProfileARN:  SeedProfileARN,
		IAMAssociation: "iip-assoc-0a1b2c3d4e5f60001",
		Tags:           map[string]string{"Name": "web"},
		LaunchTime:     at("2023-05-01T00:00:00Z"),
		Reservation:    "r-0a1b2c3d4e5f60001",
		RunningAt:      at("2023-05-01T00:00:38Z"),
	}}
}

// seedLoadBalancer adds the ALB in three zones, its listener and the target group with the
// web instance registered.
func seedLoadBalancer(w *World) {
	albEnabled := at("2023-04-30T12:00:00Z")
	w.LoadBalancers = []LoadBalancer{{
		ARN:       SeedALB,
		Name:      "web-alb",
		DNSName:   "web-alb-1234567890.ap-northeast-1.elb.amazonaws.com",
		Scheme:    "internet-facing",
		State:     "active",
		VPC:       SeedVPC,
		CreatedAt: albEnabled,
		Subnets: []LBSubnet{
			{AZ: "ap-northeast-1a", Subnet: SeedSubnet1a, EnabledAt: albEnabled},
			{AZ: "ap-northeast-1c", Subnet: SeedSubnet1c, EnabledAt: albEnabled},
			{AZ: "ap-northeast-1d", Subnet: SeedSubnet1d, EnabledAt: albEnabled},
		},
		SecurityGroups: []string{SeedALBSG},
	}}
	w.Listeners = []Listener{
		{ARN: SeedListener, LoadBalancer: SeedALB, Port: 80, Protocol: "HTTP", TargetGroup: SeedTargetGroup},
	}
	w.TargetGroups = []TargetGroup{{
		ARN:      SeedTargetGroup,
		Name:     "web-tg",
		VPC:      SeedVPC,
		Protocol: "HTTP",
		Port:     80,
		HealthCheck: HealthCheck{
			Protocol:           "HTTP",
			Path:               "/health",
			Port:               "traffic-port",
			Interval:           clock.Duration(30 * time.Second),
			Timeout:            clock.Duration(6 * time.Second),
			HealthyThreshold:   5,
			UnhealthyThreshold: 2,
			Matcher:            "200",
		},
		Targets:  []Target{{ID: SeedInstance, Port: 80, RegisteredAt: at("2023-05-01T00:05:00Z")}},
		Sessions: "local",
	}}
}
