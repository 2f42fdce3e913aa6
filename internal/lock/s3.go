package lock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// S3API is the part of the S3 client a lock uses.
type S3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// S3 is a lock object in S3. Create is a conditional put (If-None-Match: *): S3 writes the
// object only if no object has the key, atomically, so two applies cannot both take it.
type S3 struct {
	API    S3API
	Bucket string
	Key    string
}

var _ Store = (*S3)(nil)

// ParseS3URL splits "s3://bucket/key" into bucket and key.
func ParseS3URL(s string) (bucket, key string, err error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "s3" || u.Host == "" || strings.Trim(u.Path, "/") == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", "", fmt.Errorf("%q is not an S3 location: expected s3://BUCKET/KEY", s)
	}
	return u.Host, strings.TrimPrefix(u.Path, "/"), nil
}

func (s *S3) String() string { return "s3://" + s.Bucket + "/" + s.Key }

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func (s *S3) Create(ctx context.Context, data []byte) (bool, []byte, error) {
	_, err := s.API.PutObject(ctx, &s3.PutObjectInput{
		Bucket:      aws.String(s.Bucket),
		Key:         aws.String(s.Key),
		Body:        bytes.NewReader(data),
		ContentType: aws.String("application/json"),
		IfNoneMatch: aws.String("*"),
	})
	switch code(err) {
	case "":
		if err != nil {
			return false, nil, err
		}
		return true, nil, nil
	case "PreconditionFailed", "ConditionalRequestConflict":
		// Held (412), or another conditional write to the key is in flight (409).
		holder, err := s.Read(ctx)
		if errors.Is(err, ErrNotLocked) {
			return false, nil, nil
		}
		return false, holder, err
	}
	return false, nil, err
}

func (s *S3) Read(ctx context.Context) ([]byte, error) {
	out, err := s.API.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Key)})
	if c := code(err); c == "NoSuchKey" || c == "NotFound" {
		return nil, ErrNotLocked
	}
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, maxLockSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxLockSize {
		return nil, fmt.Errorf("%s is larger than a lock", s)
	}
	return data, nil
}

func (s *S3) Delete(ctx context.Context) error {
	_, err := s.API.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Key)})
	return err
}
