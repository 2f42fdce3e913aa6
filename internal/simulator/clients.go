package simulator

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/albctl/albctl/internal/clock"
)

// ClientOptions size the client model (StartClients). Zero values take the defaults.
type ClientOptions struct {
	// Clients is the number of clients of each listener: 200 by default, at most 5000.
	Clients int
	// Every is how often each client sends a request: 5s by default, at least 1s. All
	// clients send at the same instants (ticks), Start + k*Every.
	Every time.Duration
	// Bucket is the width of the report's intervals: 1m by default, at least Every.
	Bucket time.Duration
}

func (o ClientOptions) withDefaults() ClientOptions {
	if o.Clients <= 0 {
		o.Clients = 200
	}
	o.Clients = min(o.Clients, 5000)
	if o.Every <= 0 {
		o.Every = 5 * time.Second
	}
	o.Every = max(o.Every, time.Second)
	if o.Bucket <= 0 {
		o.Bucket = time.Minute
	}
	o.Bucket = max(o.Bucket, o.Every)
	return o
}

// Clients is the request-level client model of a Sim (StartClients): a fixed population of
// clients per listener that send requests as the virtual clock moves, and the per-interval
// report of what they got. It is deterministic: the same world (seed included), options and
// calls give the same report, byte for byte.
//
// Each client, at every tick (docs/simulator.md, "Clients and sessions"):
//   - sends nothing while it still waits on a 504, which the node answers only after its
//     TargetConnectTimeout;
//   - resolves the load balancer's DNS name when its answer is older than DNSTTL plus the
//     world's ClientDNSCache (the first answers expire spread over that hold) and uses one
//     node of the answer, the answers rotating between clients; until the answer expires it
//     keeps that node's address: a node taken out of DNS still gets its requests, and a node
//     that is gone (its zone disabled) fails them as connection errors, before any HTTP
//     status;
//   - sends one request to that node, which sends it to the target its stickiness cookie
//     names when the cookie is still valid and the node would still send new requests
//     there, else to one of its targets drawn at random; with stickiness on, every request
//     a target gets resets the cookie's expiry to the duration attribute (it slides);
//   - on a served request, starts a session on that server if it has none, or — when the
//     target group's sessions are "local" and the server is not the one holding its
//     session — loses the session and starts a new one there.
type Clients struct {
	s         *Sim
	opts      ClientOptions
	start     time.Time
	next      time.Time // the next tick
	listeners []*listenerClients
}

type listenerClients struct {
	l       Listener
	lbName  string
	tgName  string
	state   uint64 // random draws (splitmix64), seeded from the world's seed and the listener
	clients []client
	report  ListenerReport
}

type client struct {
	az       string // the node it sends to; "" before its first answer
	dnsUntil time.Time
	// busyUntil is when the 504 it waits on arrives: it sends nothing before.
	busyUntil time.Time
	resolves  int
	cookie    string // the target the stickiness cookie names
	cookieTo  time.Time
	session   string // the server holding its session; "" none
}

// Report is what the clients saw, per listener and per interval.
type Report struct {
	Start     time.Time        `json:"start"` // when StartClients was called
	End       time.Time        `json:"end"`   // the clock when the report was taken
	Every     clock.Duration   `json:"every"`
	Bucket    clock.Duration   `json:"bucket"`
	Clients   int              `json:"clients_per_listener"`
	Listeners []ListenerReport `json:"listeners"`
}

// ListenerReport is one listener's clients: the totals and every interval of Bucket from
// Start (the last one may be shorter: it ends at the report's End).
type ListenerReport struct {
	Listener     string     `json:"listener"`
	LoadBalancer string     `json:"load_balancer"`
	TargetGroup  string     `json:"target_group"`
	Port         int32      `json:"port"`
	Sessions     string     `json:"sessions"` // local or shared
	Total        Counts     `json:"total"`
	Intervals    []Interval `json:"intervals"`
}

// Interval is what clients saw in [Start, End).
type Interval struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Counts
}

// Counts count requests. Requests = Served + ConnectionErrors + Status502 + Status503 +
// Status504 + TargetErrors.
type Counts struct {
	Requests int `json:"requests"`
	Served   int `json:"served"`
	// ConnectionErrors are requests to a node address that no longer answers (its zone was
	// disabled while the client still held it from DNS): no HTTP status at all.
	ConnectionErrors int `json:"connection_errors"`
	Status502        int `json:"status_502"`
	Status503        int `json:"status_503"`
	Status504        int `json:"status_504"`
	// TargetErrors are errors the app answered itself (a failing build's 500).
	TargetErrors int `json:"target_errors"`
	// SessionsLost counts served requests that reached a server without the client's
	// session when sessions are local: the user is logged out or loses a cart.
	SessionsLost int `json:"sessions_lost"`
	// SessionsStarted counts first sessions (a client's first served request).
	SessionsStarted int `json:"sessions_started"`
	// Why are the causes of the failures, sorted.
	Why []string `json:"why,omitempty"`
}

// Failed is the number of requests not served.
func (c Counts) Failed() int { return c.Requests - c.Served }

// Share is n as a share of the requests (0 when there were none).
func (c Counts) Share(n int) float64 {
	if c.Requests == 0 {
		return 0
	}
	return float64(n) / float64(c.Requests)
}

// LostShare is the share of served requests that lost a session.
func (c Counts) LostShare() float64 {
	if c.Served == 0 {
		return 0
	}
	return float64(c.SessionsLost) / float64(c.Served)
}

func (c *Counts) add(o Counts) {
	c.Requests += o.Requests
	c.Served += o.Served
	c.ConnectionErrors += o.ConnectionErrors
	c.Status502 += o.Status502
	c.Status503 += o.Status503
	c.Status504 += o.Status504
	c.TargetErrors += o.TargetErrors
	c.SessionsLost += o.SessionsLost
	c.SessionsStarted += o.SessionsStarted
	for _, w := range o.Why {
		c.note(w)
	}
}

func (c *Counts) note(why string) {
	if why == "" {
		return
	}
	if i, found := slices.BinarySearch(c.Why, why); !found {
		c.Why = slices.Insert(c.Why, i, why)
	}
}

// StartClients starts the client model now, replacing one already running: from now on,
// every tick of virtual time sends every client's request (the first tick is now). Report
// reads what they saw.
func (s *Sim) StartClients(o ClientOptions) *Clients {
	s.mu.Lock()
	defer s.mu.Unlock()
	o = o.withDefaults()
	c := &Clients{s: s, opts: o, start: s.w.Now, next: s.w.Now}
	for _, l := range s.w.Listeners {
		lb, tg := s.loadBalancerByARN(l.LoadBalancer), s.targetGroupByARN(l.TargetGroup)
		if lb == nil || tg == nil {
			continue
		}
		h := sha256.Sum256(fmt.Appendf(nil, "%d\x00clients\x00%s", s.w.Seed, l.ARN))
		lc := &listenerClients{l: l, lbName: lb.Name, tgName: tg.Name, state: binary.BigEndian.Uint64(h[:8]), clients: make([]client, o.Clients)}
		lc.report = ListenerReport{Listener: l.ARN, LoadBalancer: lb.Name, TargetGroup: tg.Name, Port: l.Port}
		c.listeners = append(c.listeners, lc)
	}
	s.clients = c
	s.runClients(s.w.Now)
	return c
}

// StopClients stops the client model; its Clients keep their report.
func (s *Sim) StopClients() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients = nil
}

// runClients runs every tick up to and including until. Called with the lock held, before
// the clock moves to until: each tick sees the world as of its own instant.
func (s *Sim) runClients(until time.Time) {
	c := s.clients
	if c == nil {
		return
	}
	now := s.w.Now
	for !c.next.After(until) {
		if c.next.After(s.w.Now) {
			s.w.Now = c.next
			s.settle()
		}
		c.tick(c.next)
		c.next = c.next.Add(c.opts.Every)
	}
	s.w.Now = now
}

// runModels runs the client model's ticks and the metric samples up to and including until,
// in time order, each seeing the world as of its own instant. Called with the lock held,
// before the clock moves to until.
func (s *Sim) runModels(until time.Time) {
	now := s.w.Now
	m := s.metrics
	for {
		c := s.clients
		t := m.next
		if c != nil && c.next.Before(t) {
			t = c.next
		}
		if t.After(until) {
			break
		}
		if t.After(s.w.Now) {
			s.w.Now = t
			s.settle()
		}
		if c != nil && c.next.Equal(t) {
			c.tick(t)
			c.next = c.next.Add(c.opts.Every)
		}
		if m.next.Equal(t) {
			s.sampleMetrics(t)
			m.next = m.next.Add(MetricStep)
		}
	}
	s.w.Now = now
}

func (c *Clients) tick(t time.Time) {
	s := c.s
	hold := DNSTTL + s.w.ClientDNSCache.D()
	for _, lc := range c.listeners {
		lb, tg := s.loadBalancerByARN(lc.l.LoadBalancer), s.targetGroupByARN(lc.l.TargetGroup)
		if lb == nil || tg == nil {
			continue
		}
		r := s.route(lb, tg)
		lc.report.Sessions = "local"
		if !r.local {
			lc.report.Sessions = "shared"
		}
		var n Counts
		for i := range lc.clients {
			lc.request(&r, i, t, hold, &n)
		}
		lc.record(t, c.start, c.opts.Bucket, n)
	}
}

// request sends client i's request at t, unless it still waits on a 504. hold is how long a
// DNS answer lasts on the client.
func (lc *listenerClients) request(r *route, i int, t time.Time, hold time.Duration, n *Counts) {
	cl := &lc.clients[i]
	if t.Before(cl.busyUntil) {
		return
	}
	n.Requests++
	nr := lc.resolve(r, i, t, hold)
	switch {
	case nr == nil && cl.az == "":
		n.Status503++
		n.note("the load balancer is enabled in no zone")
		return
	case nr == nil:
		n.ConnectionErrors++
		n.note(fmt.Sprintf("clients still hold the address of the node in %s (gone) from DNS: connection errors until their answer expires", cl.az))
		return
	case len(nr.cands) == 0:
		n.Status503++
		n.note(nr.why + ": 503")
		return
	}
	var to *candidate
	if r.sticky && cl.cookie != "" && t.Before(cl.cookieTo) {
		to = nr.candidate(cl.cookie)
	}
	if to == nil {
		to = &nr.cands[lc.draw(len(nr.cands))]
	}
	if r.sticky {
		// The ALB resets the expiry of its stickiness cookie after every request.
		cl.cookie, cl.cookieTo = to.id, t.Add(r.stickyFor)
	}
	if nr.failOpen {
		n.note(nr.why)
	}
	switch to.out.code {
	case 0:
	case 502:
		n.Status502++
	case 504:
		n.Status504++
		cl.busyUntil = t.Add(TargetConnectTimeout)
	default:
		n.TargetErrors++
	}
	// A build broken on some pages: the draw is made only for such an app, so the draws of
	// a world without one are the same as before error_rate existed.
	if to.out.code == 0 && to.errorRate > 0 && float64(lc.draw(1_000_000)) < to.errorRate*1_000_000 {
		n.TargetErrors++
		n.note(fmt.Sprintf("%s's app answers 500 to %g%% of requests", to.id, to.errorRate*100))
		return
	}
	if to.out.code != 0 {
		n.note(to.out.why)
		return
	}
	n.Served++
	switch {
	case cl.session == "":
		n.SessionsStarted++
	case cl.session != to.id && r.local:
		n.SessionsLost++
	}
	cl.session = to.id
}

// resolve returns the node client i sends to at t: the one of its DNS answer while the
// answer lasts — nil if that node is gone — else one of a new answer (nil, with the
// client's node cleared, when the answer is empty).
func (lc *listenerClients) resolve(r *route, i int, t time.Time, hold time.Duration) *nodeRoute {
	cl := &lc.clients[i]
	if cl.az != "" && t.Before(cl.dnsUntil) {
		return r.node(cl.az)
	}
	answer := r.dns()
	if len(answer) == 0 {
		cl.az = ""
		return nil
	}
	cl.az = answer[(i+cl.resolves)%len(answer)]
	ttl := hold
	if cl.resolves == 0 {
		// The first answers expire spread over one hold, as if clients had come and gone.
		ttl = hold * time.Duration(i+1) / time.Duration(len(lc.clients))
	}
	cl.resolves++
	cl.dnsUntil = t.Add(ttl)
	return r.node(cl.az)
}

// draw returns a number in [0, n) from the listener's generator (splitmix64).
func (lc *listenerClients) draw(n int) int {
	lc.state += 0x9e3779b97f4a7c15
	z := lc.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return int(z % uint64(n))
}

// record adds a tick's counts to its interval.
func (lc *listenerClients) record(t, start time.Time, bucket time.Duration, n Counts) {
	k := int(t.Sub(start) / bucket)
	for len(lc.report.Intervals) <= k {
		from := start.Add(time.Duration(len(lc.report.Intervals)) * bucket)
		lc.report.Intervals = append(lc.report.Intervals, Interval{Start: from, End: from.Add(bucket)})
	}
	lc.report.Intervals[k].add(n)
	lc.report.Total.add(n)
}

// Report returns what the clients saw from Start to the clock's time: every listener (sorted
// by load balancer, target group and port) with its intervals; the last interval ends at the
// clock. It may be called at any time and changes nothing.
func (c *Clients) Report() Report {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	now := c.s.w.Now
	r := Report{Start: c.start, End: now, Every: clock.Duration(c.opts.Every), Bucket: clock.Duration(c.opts.Bucket), Clients: c.opts.Clients}
	for _, lc := range c.listeners {
		lr := lc.report
		lr.Total.Why = slices.Clone(lr.Total.Why)
		lr.Intervals = slices.Clone(lr.Intervals)
		for i := range lr.Intervals {
			iv := &lr.Intervals[i]
			iv.Why = slices.Clone(iv.Why)
			if iv.End.After(now) {
				iv.End = now
			}
		}
		r.Listeners = append(r.Listeners, lr)
	}
	slices.SortFunc(r.Listeners, func(a, b ListenerReport) int {
		if a.LoadBalancer != b.LoadBalancer {
			return cmpString(a.LoadBalancer, b.LoadBalancer)
		}
		if a.TargetGroup != b.TargetGroup {
			return cmpString(a.TargetGroup, b.TargetGroup)
		}
		return int(a.Port) - int(b.Port)
	})
	return r
}

// JSON is the report as indented JSON with a trailing newline: the same clients give the
// same bytes.
func (r Report) JSON() []byte {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		panic("simulator: report does not marshal: " + err.Error())
	}
	return append(b, '\n')
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
