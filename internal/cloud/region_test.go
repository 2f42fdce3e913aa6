package cloud_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/simulator"
)

// TestReadOfferings: where EC2 offers the types asked for, among the zones asked for, sorted
// by type then zone; nothing asked, nothing read.
func TestReadOfferings(t *testing.T) {
	w := simulator.SeedWorld()
	w.InstanceTypeOfferings = map[string][]string{
		"ap-northeast-1a": {"t3.small", "m5.large"},
		"ap-northeast-1c": {"m5.large"},
		"ap-northeast-1d": {"t3.small", "m5.large", "c5.large"},
	}
	api := simulator.New(w).EC2()
	tests := []struct {
		name         string
		types, zones []string
		want         []cloud.Offering
	}{
		{"one type, two zones", []string{"t3.small"}, []string{"ap-northeast-1d", "ap-northeast-1c"},
			[]cloud.Offering{{InstanceType: "t3.small", AZ: "ap-northeast-1d"}}},
		{"two types, every zone", []string{"t3.small", "m5.large"}, []string{"ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"},
			[]cloud.Offering{
				{InstanceType: "m5.large", AZ: "ap-northeast-1a"}, {InstanceType: "m5.large", AZ: "ap-northeast-1c"}, {InstanceType: "m5.large", AZ: "ap-northeast-1d"},
				{InstanceType: "t3.small", AZ: "ap-northeast-1a"}, {InstanceType: "t3.small", AZ: "ap-northeast-1d"},
			}},
		{"a type offered nowhere asked", []string{"c5.large"}, []string{"ap-northeast-1a"}, nil},
		{"no zone", []string{"t3.small"}, nil, nil},
	}
	for _, tt := range tests {
		got, err := cloud.ReadOfferings(context.Background(), api, tt.types, tt.zones)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
