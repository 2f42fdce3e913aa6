package specs

import "testing"

func TestCloud(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want Cloud
	}{
		{"no block", "", Cloud{Target: "sim"}},
		{"empty block", "cloud {}\n", Cloud{Target: "sim"}},
		{"aws", "cloud {\n  target   = \"aws\"\n  region   = \"us-gov-west-1\"\n  profile  = \"prod\"\n  endpoint = \"http://localhost:5000\"\n}\n",
			Cloud{Target: "aws", Region: "us-gov-west-1", Profile: "prod", Endpoint: "http://localhost:5000"}},
		{"null is not given", "cloud {\n  target = null\n}\n", Cloud{Target: "sim"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The tail's zones carry no region, so they fit any.
			src := tc.src + `
target_group "web" { name = "web-tg" }
fleet "web" {
  source       = "web"
  target_group = target_group.web
  sessions     = "shared"
  image { name = "web-1" }
  zone "us-gov-west-1a" { count = 1 }
  zone "us-gov-west-1b" { count = 1 }
}
`
			got := mustLoad(t, src, Options{}).Cloud
			got.DeclRange = tc.want.DeclRange
			if got != tc.want {
				t.Errorf("Cloud = %+v; want %+v", got, tc.want)
			}
		})
	}
}

func TestCloudErrors(t *testing.T) {
	t.Parallel()
	runBadCases(t, []badCase{
		{
			name: "target",
			src:  "cloud {\n  target = \"gcp\"\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:12:", "Invalid cloud target"},
		},
		{
			name: "region",
			src:  "cloud {\n  region = \"tokyo\"\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:12:", "Invalid region"},
		},
		{
			name: "az as region",
			src:  "cloud {\n  region = \"ap-northeast-1a\"\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:12:", "Invalid region"},
		},
		{
			name: "endpoint",
			src:  "cloud {\n  endpoint = \"localhost:5000\"\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:14:", "Invalid endpoint"},
		},
		{
			name: "profile type",
			src:  "cloud {\n  profile = [\"a\"]\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:13:", "Incorrect attribute value type", "string required"},
		},
		{
			name: "two blocks",
			src:  "cloud {}\ncloud {}\n" + minimalTail,
			want: []string{"bad.hcl:2:1:", "Duplicate cloud block"},
		},
		{
			name: "label",
			src:  "cloud \"aws\" {}\n" + minimalTail,
			want: []string{"bad.hcl:1:7:", "Extraneous label for cloud"},
		},
		{
			name: "unknown attribute",
			src:  "cloud {\n  zone = \"x\"\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:3:", "Unsupported argument"},
		},
	})
}
