package specs

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	ok := map[string]time.Duration{
		"0":       0,
		"30s":     30 * time.Second,
		"5m":      5 * time.Minute,
		"24h":     24 * time.Hour,
		"7d":      7 * 24 * time.Hour,
		"1h30m":   90 * time.Minute,
		"1d12h":   36 * time.Hour,
		"1.5d":    36 * time.Hour,
		"500ms":   500 * time.Millisecond,
		"2us":     2 * time.Microsecond,
		"2µs":     2 * time.Microsecond,
		"1d1d":    48 * time.Hour,
		"106751d": 106751 * 24 * time.Hour,
	}
	for s, want := range ok {
		got, err := ParseDuration(s)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "30", "s", "-5m", "+5m", "1 h", "5x", "1w", "1.2.3s", "d", "106752d", "99999999999999999999d", "9223372036s1s", "1e3s"} {
		if got, err := ParseDuration(s); err == nil {
			t.Errorf("ParseDuration(%q) = %v; want an error", s, got)
		}
	}
}
