package simserve

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	smithytime "github.com/aws/smithy-go/time"
)

// protocol is one of the two query protocols: EC2's, and awsquery (ELBv2, IAM, STS). They
// share the form encoding and differ in names and lists (docs/sim-serve.md).
type protocol int

const (
	ec2Query protocol = iota
	awsQuery
)

// decoder fills an SDK input struct from a query-protocol form, by reflection over the
// struct: one rule per protocol, and the generated name table for EC2's irregular keys.
type decoder struct {
	p    protocol
	form url.Values
	used map[string]bool
}

// decodeForm fills in (a pointer to an SDK input struct) from form. It returns the form keys
// no field took, other than Action and Version.
func decodeForm(p protocol, form url.Values, in any) (unknown []string, err error) {
	d := &decoder{p: p, form: form, used: map[string]bool{"Action": true, "Version": true}}
	v := reflect.ValueOf(in).Elem()
	if err := d.structAt("", v); err != nil {
		return nil, err
	}
	for k := range form {
		if !d.used[k] {
			unknown = append(unknown, k)
		}
	}
	return unknown, nil
}

// inputName is the query key of a struct field.
func (d *decoder) inputName(typ, field string) string {
	if d.p == ec2Query {
		if n, ok := ec2InputNames[typ+"."+field]; ok {
			return n
		}
	}
	return field
}

// has reports whether the form has key itself or a key under it.
func (d *decoder) has(key string) bool {
	if _, ok := d.form[key]; ok {
		return true
	}
	for k := range d.form {
		if strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}

func (d *decoder) structAt(prefix string, v reflect.Value) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if err := d.value(prefix+d.inputName(t.Name(), f.Name), v.Field(i)); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) value(key string, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer:
		if !d.has(key) {
			return nil
		}
		p := reflect.New(v.Type().Elem())
		if err := d.value(key, p.Elem()); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return d.scalar(key, v)
		}
		return d.list(key, v)
	case reflect.Map:
		return d.mapAt(key, v)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return d.scalar(key, v)
		}
		if !d.has(key) {
			return nil
		}
		return d.structAt(key+".", v)
	case reflect.Interface:
		if d.has(key) {
			return fmt.Errorf("parameter %s: unions and documents are not served", key)
		}
		return nil
	}
	return d.scalar(key, v)
}

// list decodes Key.N (EC2, whose lists are all flattened) or Key.member.N (awsquery).
func (d *decoder) list(key string, v reflect.Value) error {
	base := key + "."
	if d.p == awsQuery {
		base = key + ".member."
		// An empty list is sent as the bare key with an empty value.
		if vals, ok := d.form[key]; ok && len(vals) == 1 && vals[0] == "" {
			d.used[key] = true
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			return nil
		}
	}
	for n := 1; d.has(base + strconv.Itoa(n)); n++ {
		e := reflect.New(v.Type().Elem()).Elem()
		if err := d.value(base+strconv.Itoa(n), e); err != nil {
			return err
		}
		v.Set(reflect.Append(v, e))
	}
	return nil
}

// mapAt decodes awsquery's Key.entry.N.key / Key.entry.N.value.
func (d *decoder) mapAt(key string, v reflect.Value) error {
	for n := 1; d.has(key + ".entry." + strconv.Itoa(n)); n++ {
		base := key + ".entry." + strconv.Itoa(n)
		k := reflect.New(v.Type().Key()).Elem()
		e := reflect.New(v.Type().Elem()).Elem()
		if err := d.value(base+".key", k); err != nil {
			return err
		}
		if err := d.value(base+".value", e); err != nil {
			return err
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		v.SetMapIndex(k, e)
	}
	return nil
}

// scalar decodes one value: strings and enums, numbers, booleans, timestamps and blobs.
func (d *decoder) scalar(key string, v reflect.Value) error {
	vals, ok := d.form[key]
	if !ok {
		return nil
	}
	d.used[key] = true
	s := vals[0]
	bad := func(err error) error {
		return &invalidParam{key: key, value: s, err: err}
	}
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		t, err := smithytime.ParseDateTime(s)
		if err != nil {
			return bad(err)
		}
		v.Set(reflect.ValueOf(t))
		return nil
	case v.Kind() == reflect.Slice:
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return bad(err)
		}
		v.SetBytes(b)
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return bad(err)
		}
		v.SetBool(b)
	case reflect.Int32, reflect.Int64, reflect.Int:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return bad(err)
		}
		v.SetInt(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			return bad(err)
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("parameter %s: %s values are not served", key, v.Type())
	}
	return nil
}

// invalidParam is a value that does not parse as its member's type.
type invalidParam struct {
	key, value string
	err        error
}

func (e *invalidParam) Error() string {
	return fmt.Sprintf("Value (%s) for parameter %s is invalid: %v", e.value, e.key, e.err)
}
