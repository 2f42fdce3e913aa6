package simserve

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// s3Operations are the S3 operations served: enough for albctl's apply lock (a conditional
// put, a read, a delete) and for a tool to make its bucket (docs/sim-serve.md).
var s3Operations = []string{"CreateBucket", "DeleteObject", "GetObject", "HeadObject", "PutObject"}

// maxObjectSize bounds what one PutObject may store: the server is for rehearsals, not data.
const maxObjectSize = 1 << 20

// Object is one stored S3 object, as a world's S3 file keeps it.
type Object struct {
	Bucket       string    `json:"bucket"`
	Key          string    `json:"key"`
	Body         []byte    `json:"body"`
	ContentType  string    `json:"content_type,omitempty"`
	LastModified time.Time `json:"last_modified"`
}

func (o *Object) etag() string {
	sum := md5.Sum(o.Body)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// crc32 is the object's CRC32 checksum as S3 sends it: base64 of the big-endian value.
func (o *Object) crc32() string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], crc32.ChecksumIEEE(o.Body))
	return base64.StdEncoding.EncodeToString(b[:])
}

// objectStore holds the buckets and their objects. One lock makes each conditional write
// atomic: of two puts with If-None-Match: *, exactly one succeeds.
type objectStore struct {
	mu      sync.Mutex
	buckets map[string]map[string]*Object
}

func newObjectStore(buckets []string, objects []Object) *objectStore {
	st := &objectStore{buckets: map[string]map[string]*Object{}}
	for _, b := range buckets {
		st.buckets[b] = map[string]*Object{}
	}
	for _, o := range objects {
		if st.buckets[o.Bucket] == nil {
			st.buckets[o.Bucket] = map[string]*Object{}
		}
		st.buckets[o.Bucket][o.Key] = &o
	}
	return st
}

// Buckets returns the bucket names, sorted, and every object, sorted by bucket and key.
func (s *Server) Buckets() (buckets []string, objects []Object) {
	st := s.objects
	st.mu.Lock()
	defer st.mu.Unlock()
	for b, objs := range st.buckets {
		buckets = append(buckets, b)
		for _, o := range objs {
			objects = append(objects, *o)
		}
	}
	slices.Sort(buckets)
	slices.SortFunc(objects, func(a, b Object) int {
		if c := strings.Compare(a.Bucket, b.Bucket); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return buckets, objects
}

// s3Error is S3's error document.
type s3Error struct {
	status        int
	code, message string
}

func (s *Server) writeS3Error(w http.ResponseWriter, r *http.Request, id string, e s3Error) {
	w.Header().Set("x-amz-request-id", id)
	if r.Method == http.MethodHead {
		w.WriteHeader(e.status) // a HEAD answer has no body
		return
	}
	enc := &encoder{p: awsQuery}
	enc.buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	enc.open("Error")
	enc.text("Code", e.code)
	enc.text("Message", e.message)
	enc.text("RequestId", id)
	enc.close("Error")
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.status)
	_, _ = w.Write(enc.buf.Bytes())
}

// serveS3 answers path-style S3 requests: /BUCKET for CreateBucket, /BUCKET/KEY for the
// object operations.
func (s *Server) serveS3(w http.ResponseWriter, r *http.Request, region, id string) {
	if region != s.region {
		// S3's answer to a signature scoped to another region than the bucket's.
		s.writeS3Error(w, r, id, s3Error{400, "AuthorizationHeaderMalformed",
			fmt.Sprintf("The authorization header is malformed; the region '%s' is wrong; expecting '%s'", region, s.region)})
		return
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if bucket == "" || len(r.URL.Query()) > 0 && !onlyIDParam(r) {
		s.writeS3Error(w, r, id, s3Error{501, "NotImplemented", "A header or query you provided implies functionality that is not implemented."})
		return
	}
	st := s.objects
	st.mu.Lock()
	defer st.mu.Unlock()
	if key == "" {
		if r.Method != http.MethodPut {
			s.writeS3Error(w, r, id, s3Error{501, "NotImplemented", "Only CreateBucket is served on a bucket."})
			return
		}
		if st.buckets[bucket] != nil {
			s.writeS3Error(w, r, id, s3Error{409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it."})
			return
		}
		st.buckets[bucket] = map[string]*Object{}
		w.Header().Set("Location", "/"+bucket)
		w.Header().Set("x-amz-request-id", id)
		return
	}
	objs := st.buckets[bucket]
	if objs == nil {
		s.writeS3Error(w, r, id, s3Error{404, "NoSuchBucket", "The specified bucket does not exist"})
		return
	}
	switch r.Method {
	case http.MethodPut:
		s.putObject(w, r, id, objs, bucket, key)
	case http.MethodGet, http.MethodHead:
		o := objs[key]
		if o == nil {
			s.writeS3Error(w, r, id, s3Error{404, "NoSuchKey", "The specified key does not exist."})
			return
		}
		h := w.Header()
		h.Set("x-amz-request-id", id)
		h.Set("ETag", o.etag())
		h.Set("Last-Modified", o.LastModified.UTC().Format(http.TimeFormat))
		h.Set("Content-Length", strconv.Itoa(len(o.Body)))
		if o.ContentType != "" {
			h.Set("Content-Type", o.ContentType)
		}
		if strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
			// The SDKs ask for the object's checksum and verify the body against it.
			h.Set("X-Amz-Checksum-Crc32", o.crc32())
			h.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
		}
		if r.Method == http.MethodGet {
			_, _ = w.Write(o.Body)
		}
	case http.MethodDelete:
		delete(objs, key) // S3 answers 204 whether or not the key existed
		w.Header().Set("x-amz-request-id", id)
		w.WriteHeader(http.StatusNoContent)
	default:
		s.writeS3Error(w, r, id, s3Error{405, "MethodNotAllowed", "The specified method is not allowed against this resource."})
	}
}

// onlyIDParam allows the query parameters the SDK adds to every request (x-id=PutObject).
func onlyIDParam(r *http.Request) bool {
	q := r.URL.Query()
	_, ok := q["x-id"]
	return ok && len(q) == 1
}

// putObject stores an object, honouring the conditional-write headers: If-None-Match: *
// writes only if the key is free, If-Match only over the object with that ETag
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
func (s *Server) putObject(w http.ResponseWriter, r *http.Request, id string, objs map[string]*Object, bucket, key string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxObjectSize+1))
	if err != nil {
		s.writeS3Error(w, r, id, s3Error{400, "IncompleteBody", err.Error()})
		return
	}
	if len(body) > maxObjectSize {
		s.writeS3Error(w, r, id, s3Error{400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"})
		return
	}
	if strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") || strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		if body, err = decodeAWSChunked(body); err != nil {
			s.writeS3Error(w, r, id, s3Error{400, "IncompleteBody", err.Error()})
			return
		}
	}
	old := objs[key]
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if inm != "*" {
			s.writeS3Error(w, r, id, s3Error{501, "NotImplemented", "If-None-Match accepts only *."})
			return
		}
		if old != nil {
			s.writeS3Error(w, r, id, s3Error{412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"})
			return
		}
	}
	if im := r.Header.Get("If-Match"); im != "" {
		if old == nil {
			s.writeS3Error(w, r, id, s3Error{404, "NoSuchKey", "The specified key does not exist."})
			return
		}
		if im != old.etag() {
			s.writeS3Error(w, r, id, s3Error{412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"})
			return
		}
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		ct = "binary/octet-stream" // what S3 stores when the writer names no type
	}
	o := &Object{Bucket: bucket, Key: key, Body: body, ContentType: ct, LastModified: s.sim.Clock().Now()}
	objs[key] = o
	w.Header().Set("x-amz-request-id", id)
	w.Header().Set("ETag", o.etag())
}

// decodeAWSChunked returns the payload of an aws-chunked body: chunks of
// "HEXSIZE[;chunk-signature=…]\r\nDATA\r\n" up to a zero-size chunk, then optional trailers
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html). Signatures and
// trailing checksums are not checked: the server checks no signature.
func decodeAWSChunked(body []byte) ([]byte, error) {
	var out []byte
	for {
		line, rest, ok := strings.Cut(string(body), "\r\n")
		if !ok {
			return nil, fmt.Errorf("aws-chunked body: a chunk header has no CRLF")
		}
		sizeHex, _, _ := strings.Cut(line, ";")
		size, err := strconv.ParseInt(strings.TrimSpace(sizeHex), 16, 64)
		if err != nil || size < 0 || size > int64(len(rest)) {
			return nil, fmt.Errorf("aws-chunked body: bad chunk size %q", sizeHex)
		}
		if size == 0 {
			return out, nil
		}
		out = append(out, rest[:size]...)
		body = []byte(strings.TrimPrefix(rest[size:], "\r\n"))
	}
}
