package discover

import (
	"slices"
	"strings"
	"testing"
)

func TestWrapText(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  []string
	}{
		{"a b c", 3, []string{"a b", "c"}},
		{"- item that wraps", 8, []string{"- item", "  that", "  wraps"}},
		{"  arn:aws:long", 5, []string{"  arn:aws:long"}},
		{"", 10, []string{""}},
	}
	for _, tt := range tests {
		if got := wrapText(tt.in, tt.width); !slices.Equal(got, tt.want) {
			t.Errorf("wrapText(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

func TestSpecLabelAndDuration(t *testing.T) {
	for in, want := range map[string]string{"web": "web", "My App 2": "My_App_2", "2fast": "fast", "": "app", "web-tg": "web-tg"} {
		if got := specLabel(in); got != want {
			t.Errorf("specLabel(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("a", 200)
	if got, other := specLabel(long), specLabel(long+"b"); len(got) != maxLabel || got == other || !strings.HasPrefix(got, strings.Repeat("a", maxLabel-9)+"-") || got != specLabel(long) {
		t.Errorf("specLabel of 200 characters = %q (%d), of 201 = %q: want %d characters, the start and a hash, deterministic", got, len(got), other, maxLabel)
	}
	if got := specLabel("", "web-tg"); got != "web-tg" {
		t.Errorf("specLabel falls back to the next name: got %q", got)
	}
	for sec, want := range map[int]string{86400: "24h", 5400: "90m", 61: "61s", 604800: "168h"} {
		if got := specDuration(sec); got != want {
			t.Errorf("specDuration(%d) = %q, want %q", sec, got, want)
		}
	}
}

func TestStickinessSummary(t *testing.T) {
	tests := []struct {
		attrs map[string]string
		want  Stickiness
		sum   string
	}{
		{map[string]string{}, Stickiness{Type: "lb_cookie"}, "off"},
		{map[string]string{"stickiness.enabled": "true", "stickiness.lb_cookie.duration_seconds": "5400"}, Stickiness{On: true, Type: "lb_cookie", Seconds: 5400}, "lb_cookie for 90m"},
		{map[string]string{"stickiness.enabled": "true", "stickiness.type": "app_cookie", "stickiness.app_cookie.cookie_name": "SID", "stickiness.app_cookie.duration_seconds": "43200"},
			Stickiness{On: true, Type: "app_cookie", Seconds: 43200, Cookie: "SID"}, `app_cookie "SID" for 12h`},
		{map[string]string{"stickiness.enabled": "true", "stickiness.type": "source_ip"}, Stickiness{On: true, Type: "source_ip", Unsupported: "source_ip"}, "source_ip"},
	}
	for _, tt := range tests {
		got := readStickiness(tt.attrs)
		if got != tt.want || got.Summary() != tt.sum {
			t.Errorf("readStickiness(%v) = %+v (%q), want %+v (%q)", tt.attrs, got, got.Summary(), tt.want, tt.sum)
		}
	}
}
