// Package simserve serves the simulator over AWS's wire protocols, so that any AWS client
// (the SDKs, the AWS CLI, Terraform) can rehearse against it: albctl sim serve. Each
// request is decoded into the SDK's input type, answered by the same simulator method albctl
// calls in-process, and the SDK's output type is encoded back (docs/sim-serve.md).
package simserve

//go:generate sh -c "go run ./internal/gennames > names_ec2.go"

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/aws/smithy-go"

	"github.com/albctl/albctl/internal/simulator"
)

// Server answers AWS API requests from a simulator, and the control API under /_albctl/.
type Server struct {
	sim      *simulator.Sim
	region   string
	account  string
	seed     uint64
	services map[string]*service
	objects  *objectStore
	control  *control
	// fileFaults: see Options.FileFaults.
	fileFaults *simulator.Faults

	mu       sync.Mutex
	requests uint64
}

// New returns a server of sim. opts may be the zero value.
func New(sim *simulator.Sim, opts Options) *Server {
	w := sim.World()
	s := &Server{sim: sim, region: w.Region, account: w.AccountID, seed: w.Seed}
	s.services = services(sim, &identity{account: w.AccountID})
	s.objects = newObjectStore(opts.Buckets, opts.Objects)
	s.fileFaults = opts.FileFaults
	s.control = &control{sim: sim, save: opts.Save, clock: opts.Clock, clients: opts.Clients}
	return s
}

// Options are what a server may be given besides its simulator.
type Options struct {
	// Buckets are the S3 buckets that exist; Objects are their objects at the start.
	Buckets []string
	Objects []Object
	// Save, when set, saves the world (and the S3 objects): POST /_albctl/save calls it.
	Save func() error
	// Clock, when set, describes how the clock moves, for GET /_albctl/clock.
	Clock string
	// Clients, when set, is the running client model: GET /_albctl/traffic reports it.
	Clients *simulator.Clients
	// FileFaults, when set, are the world file's own faults: Save writes them back instead
	// of the faults the server was started with (--faults).
	FileFaults *simulator.Faults
}

// requestID returns the next request ID, derived from the world's seed and a counter, so
// that a rehearsal's transcript is the same every time.
func (s *Server) requestID() string {
	s.mu.Lock()
	s.requests++
	n := s.requests
	s.mu.Unlock()
	h := sha256.Sum256(fmt.Appendf(nil, "%d\x00request\x00%d", s.seed, n))
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_albctl/") {
		s.control.ServeHTTP(w, r)
		return
	}
	id := s.requestID()
	name, region, ok := signingScope(r.Header.Get("Authorization"))
	if name == "s3" {
		s.serveS3(w, r, region, id)
		return
	}
	svc := s.services[name]
	if !ok || svc == nil {
		what := "the request carries no AWS Signature Version 4 Authorization header"
		if ok {
			what = fmt.Sprintf("the service %q (from the signature's scope) is not served", name)
		}
		writeQueryError(w, awsQuery, id, 403, apiError{"MissingAuthenticationToken", "Request is missing Authentication Token: " + what, smithy.FaultClient})
		return
	}
	// A global service (IAM) is signed for us-east-1; the SDKs sign for the client's region
	// when given an endpoint, so that is accepted too (docs/sim-serve.md).
	if region != s.region && !(svc.global && region == "us-east-1") {
		// AWS's answer to a signature scoped to another region than the endpoint's.
		writeQueryError(w, svc.p, id, 403, apiError{"SignatureDoesNotMatch", fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", region), smithy.FaultClient})
		return
	}
	s.serveQuery(w, r, svc, id)
}

// scopeRe reads the credential scope of a SigV4 Authorization header:
// Credential=AKID/DATE/REGION/SERVICE/aws4_request.
var scopeRe = regexp.MustCompile(`Credential=[^/,\s]*/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request`)

func signingScope(auth string) (service, region string, ok bool) {
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		return "", "", false
	}
	m := scopeRe.FindStringSubmatch(auth)
	if m == nil {
		return "", "", false
	}
	return m[2], m[1], true
}

// serveQuery answers one query-protocol request: decode the form into the operation's
// input, call the simulator, encode the output.
func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request, svc *service, id string) {
	if err := r.ParseForm(); err != nil {
		writeQueryError(w, svc.p, id, 400, apiError{"MalformedQueryString", err.Error(), smithy.FaultClient})
		return
	}
	action := r.Form.Get("Action")
	op, ok := svc.ops[action]
	if !ok {
		code := "InvalidAction"
		if action == "" {
			code = "MissingAction"
		}
		writeQueryError(w, svc.p, id, 400, apiError{code, fmt.Sprintf("The action %s is not valid for this web service.", action), smithy.FaultClient})
		return
	}
	in := reflect.New(op.input)
	unknown, err := decodeForm(svc.p, r.Form, in.Interface())
	if err != nil {
		code := "ValidationError"
		if svc.p == ec2Query {
			code = "InvalidParameterValue"
		}
		writeQueryError(w, svc.p, id, 400, apiError{code, err.Error(), smithy.FaultClient})
		return
	}
	if len(unknown) > 0 && svc.p == ec2Query {
		slices.Sort(unknown)
		writeQueryError(w, svc.p, id, 400, apiError{"UnknownParameter", fmt.Sprintf("The parameter %s is not recognized", unknown[0]), smithy.FaultClient})
		return
	}
	out, err := op.call(r.Context(), in)
	if err != nil {
		writeQueryError(w, svc.p, id, 0, asAPIError(err))
		return
	}
	body, err := encodeResponse(svc, action, id, out)
	if err != nil {
		writeQueryError(w, svc.p, id, 500, apiError{"InternalFailure", err.Error(), smithy.FaultServer})
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("x-amzn-RequestId", id)
	_, _ = w.Write(body)
}

func encodeResponse(svc *service, action, id string, out any) ([]byte, error) {
	e := &encoder{p: svc.p}
	e.buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	e.buf.WriteString(`<` + action + `Response xmlns="` + svc.xmlns + `">`)
	v := reflect.ValueOf(out)
	if v.IsNil() {
		return nil, fmt.Errorf("%s answered neither an output nor an error", action)
	}
	v = v.Elem()
	if svc.p == ec2Query {
		e.text("requestId", id)
		if err := e.fields(v); err != nil {
			return nil, err
		}
	} else {
		e.open(action + "Result")
		if err := e.fields(v); err != nil {
			return nil, err
		}
		e.close(action + "Result")
		e.open("ResponseMetadata")
		e.text("RequestId", id)
		e.close("ResponseMetadata")
	}
	e.close(action + "Response")
	return e.buf.Bytes(), nil
}

// apiError is an error as the wire carries it.
type apiError struct {
	code, message string
	fault         smithy.ErrorFault
}

// asAPIError reads the code, message and fault of a simulator error; anything that is not
// an AWS error is AWS's own failure.
func asAPIError(err error) apiError {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return apiError{ae.ErrorCode(), ae.ErrorMessage(), ae.ErrorFault()}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return apiError{"RequestCanceled", err.Error(), smithy.FaultClient}
	}
	return apiError{"InternalFailure", err.Error(), smithy.FaultServer}
}

// statusOf is the HTTP status AWS answers an error with (docs/sim-serve.md).
func statusOf(e apiError) int {
	switch {
	case e.code == "RequestLimitExceeded" || e.code == "ServiceUnavailable":
		return 503
	case e.code == "NoSuchEntity":
		return 404
	case e.fault == smithy.FaultServer:
		return 500
	}
	return 400
}

// writeQueryError writes EC2's error envelope or awsquery's; status 0 means statusOf.
func writeQueryError(w http.ResponseWriter, p protocol, id string, status int, ae apiError) {
	if status == 0 {
		status = statusOf(ae)
	}
	e := &encoder{p: p}
	e.buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	if p == ec2Query {
		e.open("Response")
		e.open("Errors")
		e.open("Error")
		e.text("Code", ae.code)
		e.text("Message", ae.message)
		e.close("Error")
		e.close("Errors")
		e.text("RequestID", id)
		e.close("Response")
	} else {
		typ := "Sender"
		if ae.fault == smithy.FaultServer {
			typ = "Receiver"
		}
		e.open("ErrorResponse")
		e.open("Error")
		e.text("Type", typ)
		e.text("Code", ae.code)
		e.text("Message", ae.message)
		e.close("Error")
		e.text("RequestId", id)
		e.close("ErrorResponse")
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("x-amzn-RequestId", id)
	w.WriteHeader(status)
	_, _ = w.Write(e.buf.Bytes())
}
