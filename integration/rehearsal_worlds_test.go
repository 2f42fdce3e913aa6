package integration

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/albctl/albctl/internal/simulator"
)

// Shares of a phase, in the order phases returns them.
const (
	shareServed = iota
	shareConnErrors
	share502
	share503
	share504
	shareAppErrors
	shareSessionsLost
)

var shareNames = []string{"served", "connection errors", "502", "503", "504", "app errors", "sessions lost"}

// rehearsalWorld is a world issue 16 rehearses both from its file and through a copy of
// moto: the blog world, or the blog world with one more cause of failure (edit).
type rehearsalWorld struct {
	name string
	spec string // the spec directory, relative to the repository
	edit func(*simulator.World)
	// The failure cause shows: some phase of the world file's rehearsal has a share > 0 at
	// index share, and a cause (why) containing cause. Without this a world whose cause
	// the simulator or the plan quietly drops would match its copy vacuously.
	share int
	cause string
	// kinds are the kinds of the assumptions the copy of moto names.
	kinds []string
}

func rehearsalWorlds() []rehearsalWorld {
	blogKinds := []string{"app", "attribute", "clock", "sessions"}
	return []rehearsalWorld{
		{name: "blog", spec: "examples/blog", share: share504, cause: "admits no TCP 80 from 10.0.2.0/24", kinds: blogKinds},
		{name: "acl-deny-return", spec: "examples/blog", edit: aclDenyReturn, share: share504, cause: "does not allow outbound (return traffic) to 10.0.3.0/24", kinds: blogKinds},
		{name: "unhealthy-target", spec: "examples/blog", edit: unhealthyTarget, share: shareAppErrors, cause: "app answers 500", kinds: append([]string{"health"}, blogKinds...)},
		{name: "cross-zone-off", spec: "integration/testdata/cross-zone-off", edit: crossZoneOff, share: share503, cause: "cross-zone load balancing is off and ap-northeast-1c has no target", kinds: blogKinds},
	}
}

// aclDenyReturn gives the instances' subnet (1a) an ACL of its own whose outbound rules
// deny the ephemeral ports to the load balancer subnet of 1d: the 1d node's requests reach
// the source but its answers do not come back (504). Network ACLs are stateless: return
// traffic needs its own rule (VPC guide, "Control subnet traffic with network access
// control lists", https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html).
func aclDenyReturn(w *simulator.World) {
	w.NetworkACLs[0].Subnets = []string{simulator.SeedSubnet1c, simulator.SeedSubnet1d}
	w.NetworkACLs = append(w.NetworkACLs, simulator.NetworkACL{
		ID: "acl-0a1b2c3d4e5f600d1", VPC: simulator.SeedVPC, Subnets: []string{simulator.SeedSubnet1a},
		Inbound: []simulator.ACLRule{{Number: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"}},
		Outbound: []simulator.ACLRule{
			{Number: 90, Protocol: "tcp", FromPort: 1024, ToPort: 65535, CIDR: "10.0.3.0/24", Action: "deny"},
			{Number: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"},
		},
	})
}

// brokenInstance is the unhealthy target of unhealthyTarget.
const brokenInstance = "i-0a1b2c3d4e5f60b01"

// unhealthyTarget registers, alongside the healthy source, an instance in 1a whose app
// answers 500 to everything (a broken build): unhealthy with Target.ResponseCodeMismatch.
// It takes traffic only when the load balancer fails open (the source reboots for its
// image), and then answers 500.
func unhealthyTarget(w *simulator.World) {
	in := w.Instances[0]
	in.ID, in.Reservation, in.IAMAssociation = brokenInstance, "r-0a1b2c3d4e5f60b01", "iip-assoc-0a1b2c3d4e5f60b01"
	in.Tags = map[string]string{"Name": "web-broken"}
	in.App = &simulator.App{Health: "fails", StatusCode: 500}
	w.Instances = append(w.Instances, in)
	tg := &w.TargetGroups[0]
	tg.Targets = append(tg.Targets, simulator.Target{ID: brokenInstance, Port: 80, RegisteredAt: tg.Targets[0].RegisteredAt})
}

// crossZoneOff turns cross-zone load balancing off on the target group: the nodes of 1c
// and 1d, zones with no target, answer 503 when DNS hands them out (when every zone is
// below the DNS failover threshold, as while the source reboots).
func crossZoneOff(w *simulator.World) {
	w.TargetGroups[0].Attributes["load_balancing.cross_zone.enabled"] = "false"
}

// seededIDs reads the "World ID -> endpoint ID" table sim seed prints.
func seededIDs(t *testing.T, out string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	line := regexp.MustCompile(`^  (\S+) -> (\S+) \((created|found)\)$`)
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if m := line.FindStringSubmatch(sc.Text()); m != nil {
			ids[m[1]] = m[2]
		}
	}
	return ids
}

// healthChecker stands in front of moto and plays AWS's health checker, which moto lacks
// (mirror.NotCarried: moto reports every registered target healthy). It answers
// DescribeTargetHealth as AWS does for a target whose app answers a code the matcher
// refuses: unhealthy, Target.ResponseCodeMismatch, "Health checks failed with these codes:
// [N]" (ELBv2 API Reference, TargetHealth:
// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html).
// failing maps moto's instance IDs to the code their app answers. Every other call passes
// through unchanged. The copy must then infer the app from that health as it would from a
// real account.
func healthChecker(t *testing.T, moto string, failing map[string]int32) string {
	t.Helper()
	if len(failing) == 0 {
		return moto
	}
	target, err := url.Parse(moto)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	direct := proxy.Director
	proxy.Director = func(r *http.Request) {
		direct(r)
		r.Header.Del("Accept-Encoding") // the answer is rewritten: it must come plain
		if r.Body == nil {
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte("Action=DescribeTargetHealth")) {
			r.Header.Set("X-Albctl-Test-Health", "1")
		}
	}
	member := regexp.MustCompile(`(?s)<member>.*?</member>`)
	id := regexp.MustCompile(`<Id>([^<]+)</Id>`)
	health := regexp.MustCompile(`(?s)<TargetHealth>.*?</TargetHealth>`)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Header.Get("X-Albctl-Test-Health") == "" || resp.StatusCode != http.StatusOK {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return fmt.Errorf("read DescribeTargetHealth from moto: %w", err)
		}
		body = member.ReplaceAllFunc(body, func(m []byte) []byte {
			who := id.FindSubmatch(m)
			if who == nil {
				return m
			}
			code, ok := failing[string(who[1])]
			if !ok {
				return m
			}
			return health.ReplaceAll(m, []byte("<TargetHealth><State>unhealthy</State><Reason>Target.ResponseCodeMismatch</Reason><Description>Health checks failed with these codes: ["+strconv.Itoa(int(code))+"]</Description></TargetHealth>"))
		})
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		resp.Header.Del("Content-Encoding")
		return nil
	}
	srv := httptest.NewUnstartedServer(proxy)
	srv.Config.ReadHeaderTimeout = 10 * time.Second
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// failingApps is, by moto's instance ID, the code each registered instance of w whose app
// fails answers.
func failingApps(t *testing.T, w *simulator.World, ids map[string]string) map[string]int32 {
	t.Helper()
	registered := map[string]bool{}
	for _, tg := range w.TargetGroups {
		for _, tt := range tg.Targets {
			registered[tt.ID] = true
		}
	}
	out := map[string]int32{}
	for _, in := range w.Instances {
		if in.App != nil && in.App.Health == "fails" && registered[in.ID] {
			code := in.App.StatusCode
			if code == 0 {
				code = 500
			}
			id, ok := ids[in.ID]
			if !ok {
				t.Fatalf("sim seed does not say which instance of moto %s is", in.ID)
			}
			out[id] = code
		}
	}
	return out
}

// renamed returns w with every ID and ARN of the world file replaced by the one the
// endpoint handed out for it (ids, as sim seed prints them). An ID is a whole JSON string
// wherever a world holds it, so the replacement works on the file's quoted strings.
func renamed(t *testing.T, w *simulator.World, ids map[string]string) *simulator.World {
	t.Helper()
	data, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for from, to := range ids {
		pairs = append(pairs, strconv.Quote(from), strconv.Quote(to))
	}
	data = []byte(strings.NewReplacer(pairs...).Replace(string(data)))
	out, err := simulator.ParseWorld(data)
	if err != nil {
		t.Fatalf("world renamed to the endpoint's IDs: %v", err)
	}
	return out
}
