package simserve

import (
	"context"
	"fmt"
	"net/http/httptest"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fill sets every exported field of v to a value derived from its path, so that a field
// the codec drops or misnames shows as a difference.
func fill(v reflect.Value, path string, depth int) {
	switch v.Kind() {
	case reflect.Pointer:
		if depth > 5 {
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), path, depth+1)
		if !p.Elem().IsZero() { // past the depth limit: leave it out, as a client would
			v.Set(p)
		}
	case reflect.Struct:
		switch v.Type() {
		case timeType:
			v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(len(path)) * time.Second)))
			return
		case metadataType:
			return
		}
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				fill(v.Field(i), path+"."+f.Name, depth+1)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte("blob " + path))
			return
		}
		if depth > 5 {
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), fmt.Sprintf("%s[%d]", path, i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, path+".key", depth+1)
		fill(e, path+".value", depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.String:
		v.SetString("v<&>" + path)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int32, reflect.Int64, reflect.Int:
		v.SetInt(int64(len(path)))
	case reflect.Float64, reflect.Float32:
		v.SetFloat(float64(len(path)) + 0.5)
	}
}

// TestRoundTripThroughTheSDK sends every served query operation through the real SDK
// client with every input field set, and answers it with every output field set: the
// server must decode exactly the SDK's input, and the SDK must decode exactly the output.
// This is what proves the generated EC2 name table and the protocol rules.
func TestRoundTripThroughTheSDK(t *testing.T) {
	srv, sim := newTestServer(t)
	_ = sim
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	clients := sdkClients(hs.URL, srv.region)
	for _, name := range slices.Sorted(mapsKeys(srv.services)) {
		svc := srv.services[name]
		for _, op := range slices.Sorted(mapsKeys(svc.ops)) {
			t.Run(name+":"+op, func(t *testing.T) {
				roundTrip(t, svc, op, clients[name])
			})
		}
	}
}

func roundTrip(t *testing.T, svc *service, opName string, client any) {
	real := svc.ops[opName]
	defer func() { svc.ops[opName] = real }()
	method := reflect.ValueOf(client).MethodByName(opName)
	if !method.IsValid() {
		t.Fatalf("the SDK client has no %s", opName)
	}
	in := reflect.New(real.input)
	fill(in.Elem(), "in", 0)
	out := reflect.New(method.Type().Out(0).Elem())
	fill(out.Elem(), "out", 0)
	var got reflect.Value
	fake := reflect.MakeFunc(real.method.Type(), func(args []reflect.Value) []reflect.Value {
		got = args[1]
		return []reflect.Value{out, reflect.Zero(real.method.Type().Out(1))}
	})
	svc.ops[opName] = operation{method: fake, input: real.input}
	res := method.Call([]reflect.Value{reflect.ValueOf(context.Background()), in})
	if err, _ := res[1].Interface().(error); err != nil {
		t.Fatalf("%s: %v", opName, err)
	}
	opts := cmp.Options{cmpopts.IgnoreUnexported(), cmpopts.IgnoreTypes(middleware.Metadata{}), cmpopts.EquateEmpty()}
	opts = append(opts, ignoreUnexportedAll(in.Type(), out.Type())...)
	if d := cmp.Diff(in.Interface(), got.Interface(), opts...); d != "" {
		t.Errorf("the server decoded a different %s input (-sent +decoded):\n%s", opName, d)
	}
	if d := cmp.Diff(out.Interface(), res[0].Interface(), opts...); d != "" {
		t.Errorf("the SDK decoded a different %s output (-served +decoded):\n%s", opName, d)
	}
}

// ignoreUnexportedAll ignores the unexported fields (noSmithyDocumentSerde) of every struct
// type reachable from the given types.
func ignoreUnexportedAll(types ...reflect.Type) []cmp.Option {
	seen := map[reflect.Type]bool{}
	var structs []any
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			if t.Kind() == reflect.Map {
				walk(t.Key())
			}
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] || t == timeType {
			return
		}
		seen[t] = true
		structs = append(structs, reflect.Zero(t).Interface())
		for i := range t.NumField() {
			walk(t.Field(i).Type)
		}
	}
	for _, t := range types {
		walk(t)
	}
	return []cmp.Option{cmpopts.IgnoreUnexported(structs...)}
}

func mapsKeys[M ~map[string]V, V any](m M) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

var _ = aws.String
