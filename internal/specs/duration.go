package specs

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Day is the "d" unit of spec durations: 24 hours, ignoring daylight saving.
const Day = 24 * time.Hour

// ParseDuration parses a spec duration such as "30s", "5m", "24h", "7d" or "1h30m": the
// units of time.ParseDuration plus "d" for 24 hours. Signs are not accepted: every duration
// in a spec is a length of time, never an offset.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New(`empty duration; write a number and a unit, such as "30s"`)
	}
	if s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("%q: a duration cannot have a sign", s)
	}
	if s == "0" {
		return 0, nil
	}
	var total time.Duration
	rest := s
	for rest != "" {
		// One component: digits, an optional fraction, then a unit made of letters.
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("%q: expected a number at %q", s, rest)
		}
		j := i
		for j < len(rest) && !(rest[j] >= '0' && rest[j] <= '9' || rest[j] == '.') {
			j++
		}
		num, unit := rest[:i], rest[i:j]
		rest = rest[j:]
		if unit == "" {
			return 0, fmt.Errorf("%q: missing unit after %s (use ns, us, ms, s, m, h or d)", s, num)
		}
		var part time.Duration
		if unit == "d" {
			h, err := time.ParseDuration(num + "h")
			if err != nil {
				return 0, fmt.Errorf("%q: invalid number of days %q", s, num)
			}
			if h > math.MaxInt64/24 {
				return 0, fmt.Errorf("%q: duration too long", s)
			}
			part = h * 24
		} else {
			if strings.ContainsAny(unit, " \t") {
				return 0, fmt.Errorf("%q: unexpected space", s)
			}
			p, err := time.ParseDuration(num + unit)
			if err != nil {
				return 0, fmt.Errorf("%q: unknown unit %q or invalid number (use ns, us, ms, s, m, h or d)", s, unit)
			}
			part = p
		}
		if total > math.MaxInt64-part {
			return 0, fmt.Errorf("%q: duration too long", s)
		}
		total += part
	}
	return total, nil
}
