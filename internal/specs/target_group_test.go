package specs

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

func TestTargetGroup(t *testing.T) {
	t.Parallel()
	src := `
target_group "web" {
  name     = "Web-TG-1"
  port     = 8443
  protocol = "HTTPS"
  health_check {
    path                = "/"
    interval            = "1m"
    timeout             = "59s"
    healthy_threshold   = 2
    unhealthy_threshold = 10
    matcher             = "200-299,302"
  }
  stickiness {
    type        = "app_cookie"
    cookie_name = "SESSIONID"
    duration    = "7d"
  }
}
` + strings.Replace(minimalTail, "target_group \"web\" {\n  name = \"web-tg\"\n}\n", "", 1)
	tg := mustLoad(t, src, Options{}).TargetGroups[0]
	tg.DeclRange, tg.NameRange = hcl.Range{}, hcl.Range{}
	hc, st := *tg.HealthCheck, *tg.Stickiness
	hc.DeclRange, st.DeclRange = hcl.Range{}, hcl.Range{}
	if tg.Name != "Web-TG-1" || tg.Port != 8443 || tg.Protocol != "HTTPS" {
		t.Errorf("TargetGroup = %+v", tg)
	}
	if want := (HealthCheck{Path: "/", Interval: time.Minute, Timeout: 59 * time.Second, HealthyThreshold: 2, UnhealthyThreshold: 10, Matcher: "200-299,302"}); hc != want {
		t.Errorf("HealthCheck = %+v", hc)
	}
	if want := (Stickiness{Type: "app_cookie", CookieName: "SESSIONID", Duration: 7 * 24 * time.Hour}); st != want {
		t.Errorf("Stickiness = %+v", st)
	}
}

func TestTargetGroupDefaults(t *testing.T) {
	t.Parallel()
	src := "target_group \"web\" {\n  name = \"web-tg\"\n  stickiness { type = \"lb_cookie\" }\n}\n" +
		strings.Replace(minimalTail, "target_group \"web\" {\n  name = \"web-tg\"\n}\n", "", 1)
	tg := mustLoad(t, src, Options{}).TargetGroups[0]
	if tg.Port != 80 || tg.Protocol != "HTTP" || tg.HealthCheck != nil || tg.Stickiness.Duration != 24*time.Hour {
		t.Errorf("TargetGroup = %+v, %+v", tg, tg.Stickiness)
	}
}

// tg wraps a target_group body for the error table; line 2 is the body's first line.
func tg(body string) string {
	return "target_group \"web\" {\n" + body + "\n}\n" + strings.Replace(minimalTail, "target_group \"web\" {\n  name = \"web-tg\"\n}\n", "", 1)
}

func TestTargetGroupErrors(t *testing.T) {
	t.Parallel()
	runBadCases(t, []badCase{
		{"missing name", tg(""), Options{}, []string{"bad.hcl:1:20:", "Missing required argument"}},
		{"name too long", tg(`  name = "abcdefghijklmnopqrstuvwxyz0123456"`), Options{}, []string{"bad.hcl:2:10:", "Invalid target group name"}},
		{"name hyphen end", tg(`  name = "web-"`), Options{}, []string{"bad.hcl:2:10:", "Invalid target group name"}},
		{"name underscore", tg(`  name = "web_tg"`), Options{}, []string{"bad.hcl:2:10:", "Invalid target group name"}},
		{"port", tg("  name = \"t\"\n  port = 65536"), Options{}, []string{"bad.hcl:3:10:", "Invalid port"}},
		{"port fraction", tg("  name = \"t\"\n  port = 80.5"), Options{}, []string{"bad.hcl:3:10:", "Invalid port", "whole number"}},
		{"protocol", tg("  name = \"t\"\n  protocol = \"TCP\""), Options{}, []string{"bad.hcl:3:14:", "Invalid protocol"}},
		{"unknown attribute", tg("  name = \"t\"\n  vpc = \"x\""), Options{}, []string{"bad.hcl:3:3:", "Unsupported argument", `"vpc"`}},
		{"two stickiness blocks", tg("  name = \"t\"\n  stickiness { type = \"lb_cookie\" }\n  stickiness { type = \"lb_cookie\" }"), Options{}, []string{"bad.hcl:4:3:", "Duplicate stickiness block"}},
		{"health path", tg("  name = \"t\"\n  health_check { path = \"health\" }"), Options{}, []string{"bad.hcl:3:25:", "Invalid health check path"}},
		{"health interval", tg("  name = \"t\"\n  health_check { interval = \"301s\" }"), Options{}, []string{"bad.hcl:3:29:", "Invalid health check interval", "5m1s is outside 5s..300s"}},
		{"health interval unit", tg("  name = \"t\"\n  health_check { interval = \"30\" }"), Options{}, []string{"bad.hcl:3:29:", "Invalid health check interval", "missing unit"}},
		{"health timeout", tg("  name = \"t\"\n  health_check { timeout = \"1s\" }"), Options{}, []string{"bad.hcl:3:28:", "Invalid health check timeout"}},
		{"timeout not below interval", tg("  name = \"t\"\n  health_check {\n    interval = \"10s\"\n    timeout  = \"10s\"\n  }"), Options{}, []string{"bad.hcl:5:16:", "Invalid health check timeout", "less than the interval"}},
		{"healthy threshold", tg("  name = \"t\"\n  health_check { healthy_threshold = 1 }"), Options{}, []string{"bad.hcl:3:38:", "Invalid healthy threshold"}},
		{"unhealthy threshold", tg("  name = \"t\"\n  health_check { unhealthy_threshold = 11 }"), Options{}, []string{"bad.hcl:3:40:", "Invalid unhealthy threshold"}},
		{"matcher", tg("  name = \"t\"\n  health_check { matcher = \"2xx\" }"), Options{}, []string{"bad.hcl:3:28:", "Invalid health check matcher"}},
		{"matcher range", tg("  name = \"t\"\n  health_check { matcher = \"100-200\" }"), Options{}, []string{"bad.hcl:3:28:", "Invalid health check matcher"}},
		{
			"stickiness 30d", tg("  name = \"t\"\n  stickiness {\n    type     = \"lb_cookie\"\n    duration = \"30d\"\n  }"), Options{},
			[]string{"bad.hcl:5:16:", "Invalid stickiness duration; 720h0m0s is outside 1s..7d (AWS: stickiness.lb_cookie.duration_seconds 1-604800)"},
		},
		{"stickiness 0s", tg("  name = \"t\"\n  stickiness {\n    type     = \"lb_cookie\"\n    duration = \"0s\"\n  }"), Options{}, []string{"bad.hcl:5:16:", "Invalid stickiness duration"}},
		{"stickiness fraction", tg("  name = \"t\"\n  stickiness {\n    type     = \"lb_cookie\"\n    duration = \"1.5s\"\n  }"), Options{}, []string{"bad.hcl:5:16:", "whole number of seconds"}},
		{"bad duration string", tg("  name = \"t\"\n  stickiness {\n    type     = \"lb_cookie\"\n    duration = \"1 day\"\n  }"), Options{}, []string{"bad.hcl:5:16:", "Invalid stickiness duration", `"1 day"`}},
		{"stickiness type", tg("  name = \"t\"\n  stickiness { type = \"source_ip\" }"), Options{}, []string{"bad.hcl:3:23:", "Invalid stickiness type", "source_ip is for Network Load Balancers"}},
		{"stickiness type missing", tg("  name = \"t\"\n  stickiness {}"), Options{}, []string{"bad.hcl:3:14:", "Missing required argument"}},
		{"app_cookie without cookie name", tg("  name = \"t\"\n  stickiness { type = \"app_cookie\" }"), Options{}, []string{"bad.hcl:3:3:", "Missing cookie name"}},
		{"app_cookie with null cookie name", tg("  name = \"t\"\n  stickiness {\n    type        = \"app_cookie\"\n    cookie_name = null\n  }"), Options{}, []string{"bad.hcl:3:3:", "Missing cookie name"}},
		{"AWSALB cookie", tg("  name = \"t\"\n  stickiness {\n    type        = \"app_cookie\"\n    cookie_name = \"AWSALBSESSION\"\n  }"), Options{}, []string{"bad.hcl:5:19:", "Invalid cookie name", "AWSALB"}},
		{"AWSALBTG cookie", tg("  name = \"t\"\n  stickiness {\n    type        = \"app_cookie\"\n    cookie_name = \"AWSALBTGX\"\n  }"), Options{}, []string{"bad.hcl:5:19:", "begins with AWSALBTG"}},
		{"cookie syntax", tg("  name = \"t\"\n  stickiness {\n    type        = \"app_cookie\"\n    cookie_name = \"a b\"\n  }"), Options{}, []string{"bad.hcl:5:19:", "Invalid cookie name"}},
		{"lb_cookie with cookie name", tg("  name = \"t\"\n  stickiness {\n    type        = \"lb_cookie\"\n    cookie_name = \"SID\"\n  }"), Options{}, []string{"bad.hcl:5:19:", "Unexpected cookie name"}},
		{"duplicate label", tg("  name = \"t\"\n}\ntarget_group \"web\" {\n  name = \"u\""), Options{}, []string{"bad.hcl:4:14:", "Duplicate target_group block"}},
		{"duplicate name", tg("  name = \"t\"\n}\ntarget_group \"web2\" {\n  name = \"t\""), Options{}, []string{"bad.hcl:5:10:", "Duplicate resource name"}},
		{"invalid label", tg("  name = \"t\"\n}\ntarget_group \"web 2\" {\n  name = \"u\""), Options{}, []string{"bad.hcl:4:14:", "Invalid block label"}},
	})
}

func TestCheckMatcher(t *testing.T) {
	t.Parallel()
	for s, ok := range map[string]bool{"200": true, "200-299": true, "200,202,300-399": true, "499": true, "500": false, "199": false, "300-200": false, "": false, "200,": false} {
		if err := checkMatcher(s); (err == nil) != ok {
			t.Errorf("checkMatcher(%q) = %v", s, err)
		}
	}
}
