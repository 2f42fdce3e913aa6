package simulator

import (
	"encoding/base64"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/albctl/albctl/internal/cloud"
)

// fields maps a filter name to the values a resource has for it.
type fields map[string]func() []string

// matchFilters reports whether a resource with the given fields and tags passes every
// filter. Values in one filter are alternatives; filters all apply. Values may hold the
// wildcards * and ?. A filter name not in f (nor tag:, tag-key, tag-value) is an error.
func matchFilters(filters []ec2types.Filter, field func(string) ([]string, bool), tags map[string]string) (bool, error) {
	ok := true
	for _, flt := range filters {
		name := aws.ToString(flt.Name)
		var have []string
		switch {
		case strings.HasPrefix(name, "tag:"):
			if v, found := tags[strings.TrimPrefix(name, "tag:")]; found {
				have = []string{v}
			}
		case name == "tag-key":
			for k := range tags {
				have = append(have, k)
			}
		case name == "tag-value":
			for _, v := range tags {
				have = append(have, v)
			}
		default:
			v, known := field(name)
			if !known {
				return false, apiErr("InvalidParameterValue", "The filter '%s' is invalid", name)
			}
			have = v
		}
		if !anyMatch(flt.Values, have) {
			ok = false // keep going: a later filter may be invalid
		}
	}
	return ok, nil
}

// anyMatch reports whether a value matches a pattern, by EC2's wildcard rules: one
// implementation for all of albctl, linear in practice (docs/security.md).
func anyMatch(patterns, values []string) bool {
	for _, p := range patterns {
		w := cloud.CompileWildcard(p)
		for _, v := range values {
			if w.Match(v) {
				return true
			}
		}
	}
	return false
}

// get looks up one field.
func (f fields) get(name string) ([]string, bool) {
	g, ok := f[name]
	if !ok {
		return nil, false
	}
	return g(), true
}

func one(v string) func() []string { return func() []string { return []string{v} } }

// page cuts n items into a page. token is the NextToken or Marker of the request, size the
// page size (0: all). It returns the bounds and the token for the next page ("" at the end).
func page(n int, size int32, token string) (start, end int, next string, ok bool) {
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || !strings.HasPrefix(string(b), "sim:") {
			return 0, 0, "", false
		}
		v, err := strconv.Atoi(strings.TrimPrefix(string(b), "sim:"))
		if err != nil || v < 0 || v > n {
			return 0, 0, "", false
		}
		start = v
	}
	end = n
	if size > 0 && start+int(size) < n {
		end = start + int(size)
		next = base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "sim:%d", end))
	}
	return start, end, next, true
}

// ec2Page checks MaxResults against [min, max] and pages n items.
func ec2Page(n int, maxResults *int32, nextToken *string, min int32) (start, end int, next *string, err error) {
	var size int32
	if maxResults != nil {
		size = *maxResults
		if size < min || size > 1000 {
			return 0, 0, nil, apiErr("InvalidParameterValue", "Value ( %d ) for parameter maxResults is invalid. Expecting a value between %d and 1000.", size, min)
		}
	}
	start, end, tok, ok := page(n, size, aws.ToString(nextToken))
	if !ok {
		return 0, 0, nil, apiErr("InvalidPaginationToken", "The pagination token is invalid")
	}
	if tok != "" {
		next = aws.String(tok)
	}
	return start, end, next, nil
}

// elbPage checks PageSize (1-400) and pages n items by Marker.
func elbPage(n int, pageSize *int32, marker *string) (start, end int, next *string, err error) {
	var size int32
	if pageSize != nil {
		size = *pageSize
		if size < 1 || size > 400 {
			return 0, 0, nil, apiErr("ValidationError", "1 validation error detected: Value '%d' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and 400", size)
		}
	}
	start, end, tok, ok := page(n, size, aws.ToString(marker))
	if !ok {
		return 0, 0, nil, apiErr("ValidationError", "Invalid marker")
	}
	if tok != "" {
		next = aws.String(tok)
	}
	return start, end, next, nil
}

var (
	instanceIDRe = regexp.MustCompile(`^i-([0-9a-f]{8}|[0-9a-f]{17})$`)
	imageIDRe    = regexp.MustCompile(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)
	profileARNRe = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:instance-profile/[\w+=,.@/-]{1,128}$`)
	amiNameRe    = regexp.MustCompile(`^[A-Za-z0-9()\[\] ./\-'@_]{3,128}$`)
)

func isProfileARN(s string) bool { return profileARNRe.MatchString(s) }

// notExist words a NotFound message for one or several IDs, as EC2 does.
func notExist(what string, ids []string) string {
	if len(ids) == 1 {
		return fmt.Sprintf("The %s ID '%s' does not exist", what, ids[0])
	}
	return fmt.Sprintf("The %s IDs '%s' do not exist", what, strings.Join(ids, ", "))
}

// ec2Tags turns a tag map into EC2 tags sorted by key.
func ec2Tags(m map[string]string) []ec2types.Tag {
	if len(m) == 0 {
		return nil
	}
	keys := slices.Sorted(maps.Keys(m))
	out := make([]ec2types.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, ec2types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// checkTags applies EC2's rules for tags given in a request.
func checkTags(tags []ec2types.Tag) error {
	for _, t := range tags {
		k, v := aws.ToString(t.Key), aws.ToString(t.Value)
		switch {
		case k == "":
			return apiErr("InvalidParameterValue", "Tag key must not be empty")
		case len(k) > 128:
			return apiErr("InvalidParameterValue", "Tag key exceeds the maximum length of 128 characters")
		case len(v) > 256:
			return apiErr("InvalidParameterValue", "Tag value exceeds the maximum length of 256 characters")
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return apiErr("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
		}
	}
	return nil
}

// mergeTags adds tags to m (allocating it if needed) and checks the 50-tag limit.
func mergeTags(m map[string]string, tags []ec2types.Tag) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	if len(out) > 50 {
		return nil, apiErr("TagLimitExceeded", "The maximum number of tags per resource (50) was exceeded")
	}
	return out, nil
}
