package simserve

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/albctl/albctl/internal/lock"
)

// TestLockOnS3: albctl's apply lock, through the real S3 client, against the server: a
// conditional put takes it once, a second put finds it held and reads the holder, a delete
// frees it.
func TestLockOnS3(t *testing.T) {
	srv, _, url := startServer(t)
	ctx := context.Background()
	client := sdkClients(url, srv.region)["s3"].(*s3.Client)
	st := &lock.S3{API: client, Bucket: "locks", Key: "blog/apply.lock"}
	created, _, err := st.Create(ctx, []byte(`{"id":"first"}`))
	if err != nil || !created {
		t.Fatalf("first Create = %v, %v", created, err)
	}
	created, holder, err := st.Create(ctx, []byte(`{"id":"second"}`))
	if err != nil || created || string(holder) != `{"id":"first"}` {
		t.Fatalf("second Create = %v, %q, %v; want held by first", created, holder, err)
	}
	if err := st.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Read(ctx); !errors.Is(err, lock.ErrNotLocked) {
		t.Fatalf("Read after Delete = %v, want ErrNotLocked", err)
	}
	if err := st.Delete(ctx); err != nil {
		t.Fatalf("deleting a missing lock: %v", err)
	}
	created, _, err = st.Create(ctx, []byte(`{"id":"third"}`))
	if err != nil || !created {
		t.Fatalf("Create after Delete = %v, %v", created, err)
	}
	_, objects := srv.Buckets()
	if len(objects) != 1 || objects[0].Key != "blog/apply.lock" || string(objects[0].Body) != `{"id":"third"}` {
		t.Errorf("stored objects = %+v", objects)
	}
}

func TestS3Errors(t *testing.T) {
	srv, _, url := startServer(t)
	ctx := context.Background()
	client := sdkClients(url, srv.region)["s3"].(*s3.Client)
	put := func(bucket, ifMatch string) error {
		in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: bytes.NewReader([]byte("x"))}
		if ifMatch != "" {
			in.IfMatch = aws.String(ifMatch)
		}
		_, err := client.PutObject(ctx, in)
		return err
	}
	code := func(err error) string {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return ae.ErrorCode()
		}
		return ""
	}
	if c := code(put("missing", "")); c != "NoSuchBucket" {
		t.Errorf("put into a missing bucket: %q, want NoSuchBucket", c)
	}
	if c := code(put("locks", `"0"`)); c != "NoSuchKey" {
		t.Errorf("If-Match on a missing key: %q, want NoSuchKey", c)
	}
	if err := put("locks", ""); err != nil {
		t.Fatal(err)
	}
	if c := code(put("locks", `"0"`)); c != "PreconditionFailed" {
		t.Errorf("If-Match with another ETag: %q, want PreconditionFailed", c)
	}
	// albctl's S3 client asks for the checksum (the SDK's default response validation).
	got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("locks"), Key: aws.String("k"), ChecksumMode: s3types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.ChecksumCRC32) != "jNwWgw==" { // CRC32 of "x"
		t.Errorf("GetObject checksum = %q", aws.ToString(got.ChecksumCRC32))
	}
	if err := put("locks", aws.ToString(got.ETag)); err != nil {
		t.Errorf("If-Match with the object's ETag: %v", err)
	}
	_, err = client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("locks"), Key: aws.String("big"), Body: bytes.NewReader(make([]byte, maxObjectSize+1))})
	if c := code(err); c != "EntityTooLarge" {
		t.Errorf("an object over 1 MiB: %q, want EntityTooLarge", c)
	}
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("made")}); err != nil {
		t.Fatal(err)
	}
	if err := put("made", ""); err != nil {
		t.Errorf("put into a created bucket: %v", err)
	}
	other := sdkClients(url, "us-west-2")["s3"].(*s3.Client)
	_, err = other.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("locks"), Key: aws.String("k")})
	if c := code(err); c != "AuthorizationHeaderMalformed" {
		t.Errorf("S3 in another region: %q, want AuthorizationHeaderMalformed", c)
	}
}
