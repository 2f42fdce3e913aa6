package simulator

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/clock"
)

// The simulator's CloudWatch metrics for Application Load Balancers (namespace
// AWS/ApplicationELB), made from the same routing the client model uses
// (docs/simulator.md, "Metrics and alarms"). Every MetricStep of virtual time, each listener
// sends RequestRate × MetricStep requests, spread as Traffic spreads them; the counts, the
// latency and the host counts are kept per one-minute period, per target group and load
// balancer, with and without the AvailabilityZone dimension.

const (
	// MetricStep is how often the request model is sampled for metrics.
	MetricStep = 5 * time.Second
	// DefaultRequestRate is each listener's requests per second when the world gives none.
	DefaultRequestRate = 40.0
	// MetricRetention is how far back the simulator keeps one-minute datapoints.
	MetricRetention = 24 * time.Hour
)

// DefaultLatency is the response time of an app whose Latency is not set.
var DefaultLatency = Latency{P50: clock.Duration(20 * time.Millisecond), P95: clock.Duration(60 * time.Millisecond)}

// seriesKey names a set of ALB metrics by their dimensions: AZ is "" for the series without
// the AvailabilityZone dimension.
type seriesKey struct{ lb, tg, az string }

// lognormal is one app's response-time distribution: ln(seconds) ~ N(mu, sigma).
type lognormal struct{ mu, sigma float64 }

// minute is what one series recorded in one one-minute period.
type minute struct {
	samples   int
	requests  float64
	target5xx float64
	elb5xx    float64
	healthy   stat
	unhealthy stat
	latency   map[lognormal]float64 // responses by distribution
}

// stat accumulates one value per sample.
type stat struct{ sum, min, max float64 }

func (st *stat) add(v float64, first bool) {
	st.sum += v
	if first || v < st.min {
		st.min = v
	}
	if first || v > st.max {
		st.max = v
	}
}

// metricStore holds the periods recorded since start. A period before start is taken to be
// as the world was at start: a world file describes a steady state, so the baseline of a
// rollout that begins at once is the fleet as it was loaded.
type metricStore struct {
	start  time.Time
	next   time.Time // the next sample
	steady map[seriesKey]*minute
	data   map[seriesKey]map[int64]*minute // key -> period start (Unix seconds) -> period
}

func newMetricStore(now time.Time) *metricStore {
	return &metricStore{start: now, next: now, data: map[seriesKey]map[int64]*minute{}}
}

// startMetrics records the steady state of the world as loaded. Called with the lock held.
func (s *Sim) startMetrics() {
	m := newMetricStore(s.w.Now)
	one := map[seriesKey]*minute{}
	s.sampleInto(func(k seriesKey) *minute {
		if one[k] == nil {
			one[k] = &minute{latency: map[lognormal]float64{}}
		}
		return one[k]
	})
	// One sample stands for every sample of a minute.
	per := float64(time.Minute / MetricStep)
	for _, p := range one {
		p.requests, p.target5xx, p.elb5xx = p.requests*per, p.target5xx*per, p.elb5xx*per
		for d := range p.latency {
			p.latency[d] *= per
		}
		p.healthy.sum *= per
		p.unhealthy.sum *= per
		p.samples = int(per)
	}
	m.steady = one
	s.metrics = m
}

// sampleMetrics samples the request model at t. Called with the lock held, the world settled
// to t.
func (s *Sim) sampleMetrics(t time.Time) {
	m := s.metrics
	period := t.Truncate(time.Minute).Unix()
	s.sampleInto(func(k seriesKey) *minute {
		byPeriod := m.data[k]
		if byPeriod == nil {
			byPeriod = map[int64]*minute{}
			m.data[k] = byPeriod
		}
		p := byPeriod[period]
		if p == nil {
			p = &minute{latency: map[lognormal]float64{}}
			byPeriod[period] = p
		}
		return p
	})
	// Forget periods beyond the retention, once a minute.
	if t.Truncate(time.Minute).Equal(t) {
		oldest := t.Add(-MetricRetention).Unix()
		for _, byPeriod := range m.data {
			for p := range byPeriod {
				if p < oldest {
					delete(byPeriod, p)
				}
			}
		}
	}
}

// sampleInto adds one sample of every listener's requests, and every target group's host
// counts, to the periods at gives: the requests both by target group and by load balancer
// alone (with and without the zone of the node that took them).
func (s *Sim) sampleInto(at func(seriesKey) *minute) {
	rate := s.w.RequestRate
	if rate <= 0 {
		rate = DefaultRequestRate
	}
	n := rate * MetricStep.Seconds()
	touched := map[*minute]bool{}
	for _, l := range s.w.Listeners {
		lb, tg := s.loadBalancerByARN(l.LoadBalancer), s.targetGroupByARN(l.TargetGroup)
		if lb == nil || tg == nil {
			continue
		}
		lbDim, tgDim := lbDimension(lb.ARN), tgDimension(tg.ARN)
		r := s.route(lb, tg)
		s.sampleRequests(&r, n, func(az string) []*minute {
			return []*minute{at(seriesKey{lbDim, tgDim, ""}), at(seriesKey{lbDim, tgDim, az}), at(seriesKey{lbDim, "", ""}), at(seriesKey{lbDim, "", az})}
		})
		s.sampleHosts(lb, tg, func(az string) *minute { return at(seriesKey{lbDim, tgDim, az}) }, touched)
	}
}

// sampleRequests spreads n requests over the nodes in DNS and their candidates.
func (s *Sim) sampleRequests(r *route, n float64, at func(az string) []*minute) {
	dns := r.dns()
	for _, nr := range r.nodes {
		if !nr.inDNS {
			continue
		}
		share := n / float64(len(dns))
		ps := at(nr.AZ)
		for _, p := range ps {
			p.requests += share
		}
		if len(nr.cands) == 0 {
			for _, p := range ps {
				p.elb5xx += share // 503
			}
			continue
		}
		each := share / float64(len(nr.cands))
		for _, c := range nr.cands {
			in := s.instance(c.id)
			var errs, lat float64
			switch c.out.code {
			case 0:
				errs, lat = each*in.App.errorRate(), each
			case 502, 504:
				for _, p := range ps {
					p.elb5xx += each
				}
				continue
			default:
				if c.out.code >= 500 {
					errs = each
				}
				lat = each
			}
			d := in.App.latency()
			for _, p := range ps {
				p.target5xx += errs
				p.latency[d] += lat
			}
		}
	}
}

// sampleHosts adds the target group's healthy and unhealthy targets, by the target's zone,
// for every zone the load balancer is enabled in. A period is counted once per sample even
// when several listeners send to the group.
func (s *Sim) sampleHosts(lb *LoadBalancer, tg *TargetGroup, at func(az string) *minute, touched map[*minute]bool) {
	healthy, unhealthy := map[string]float64{}, map[string]float64{}
	var allHealthy, allUnhealthy float64
	for i := range tg.Targets {
		t := &tg.Targets[i]
		in := s.instance(t.ID)
		if in == nil {
			continue
		}
		switch s.targetHealth(tg, t).State {
		case "healthy":
			healthy[in.AZ]++
			allHealthy++
		case "unhealthy":
			unhealthy[in.AZ]++
			allUnhealthy++
		}
	}
	healthy[""], unhealthy[""] = allHealthy, allUnhealthy
	zones := []string{""}
	for _, z := range lb.Subnets {
		zones = append(zones, z.AZ)
	}
	for _, az := range zones {
		p := at(az)
		if touched[p] {
			continue
		}
		touched[p] = true
		p.healthy.add(healthy[az], p.samples == 0)
		p.unhealthy.add(unhealthy[az], p.samples == 0)
		p.samples++
	}
}

func (a *App) errorRate() float64 {
	if a == nil {
		return 0
	}
	return a.ErrorRate
}

// latency is the app's response-time distribution: through p50 and p95 of its Latency.
func (a *App) latency() lognormal {
	l := DefaultLatency
	if a != nil && a.Latency != (Latency{}) {
		l = a.Latency
	}
	mu := math.Log(l.P50.D().Seconds())
	return lognormal{mu: mu, sigma: (math.Log(l.P95.D().Seconds()) - mu) / z95}
}

// z95 is the standard normal's 95th percentile.
const z95 = 1.6448536269514722

// weighted is one component of a response-time mixture.
type weighted struct {
	d lognormal
	w float64
}

// components returns a mixture's components in a fixed order, so that sums over them (and
// so the published values) are the same bits on every run.
func components(mix map[lognormal]float64) []weighted {
	out := make([]weighted, 0, len(mix))
	for d, w := range mix {
		out = append(out, weighted{d, w})
	}
	slices.SortFunc(out, func(a, b weighted) int {
		if c := cmp.Compare(a.d.mu, b.d.mu); c != 0 {
			return c
		}
		return cmp.Compare(a.d.sigma, b.d.sigma)
	})
	return out
}

// percentile is the q-th quantile (0 < q < 1) of a mixture of log-normal distributions
// weighted by their responses, in seconds; NaN when there were no responses. It bisects the
// mixture's distribution function (in ln seconds), which is monotonic.
func percentile(mix map[lognormal]float64, q float64) float64 {
	cs := components(mix)
	total := 0.0
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range cs {
		total += c.w
		lo, hi = min(lo, c.d.mu-8*c.d.sigma-1), max(hi, c.d.mu+8*c.d.sigma+1)
	}
	if total <= 0 {
		return math.NaN()
	}
	cdf := func(x float64) float64 {
		sum := 0.0
		for _, c := range cs {
			if c.d.sigma == 0 {
				if x >= c.d.mu {
					sum += c.w
				}
				continue
			}
			sum += c.w * 0.5 * math.Erfc(-(x-c.d.mu)/(c.d.sigma*math.Sqrt2))
		}
		return sum / total
	}
	for range 100 {
		mid := (lo + hi) / 2
		if cdf(mid) < q {
			lo = mid
		} else {
			hi = mid
		}
	}
	return math.Exp((lo + hi) / 2)
}

// mean is the mixture's total response time and count of responses.
func mean(mix map[lognormal]float64) (sum, count float64) {
	for _, c := range components(mix) {
		sum += c.w * math.Exp(c.d.mu+c.d.sigma*c.d.sigma/2)
		count += c.w
	}
	return sum, count
}

// lbDimension is the LoadBalancer dimension of an ALB's metrics: the ARN's final part,
// "app/name/id".
func lbDimension(arn string) string {
	_, after, _ := strings.Cut(arn, ":loadbalancer/")
	return after
}

// tgDimension is the TargetGroup dimension: "targetgroup/name/id".
func tgDimension(arn string) string {
	i := strings.LastIndex(arn, ":")
	return arn[i+1:]
}
