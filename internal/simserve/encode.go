package simserve

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/middleware"
)

// encoder writes an SDK output struct as the XML of a query protocol, by reflection over the
// struct: EC2 names elements in lowerCamel case (with the generated table for irregular
// names) and wraps list members in <item>; awsquery uses the member names and <member>.
type encoder struct {
	p   protocol
	buf bytes.Buffer
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	metadataType = reflect.TypeFor[middleware.Metadata]()
)

func (e *encoder) outputName(typ, field string) string {
	if e.p == awsQuery {
		return field
	}
	if n, ok := ec2OutputNames[typ+"."+field]; ok {
		return n
	}
	return strings.ToLower(field[:1]) + field[1:]
}

// fields writes the exported fields of a struct, each as an element.
func (e *encoder) fields(v reflect.Value) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Type == metadataType {
			continue
		}
		if err := e.element(e.outputName(t.Name(), f.Name), v.Field(i)); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) open(name string)  { e.buf.WriteString("<" + name + ">") }
func (e *encoder) close(name string) { e.buf.WriteString("</" + name + ">") }

// element writes v as <name>…</name>; a nil pointer, list or map is left out, a zero
// number or false (a non-pointer member) is written, as AWS answers them.
func (e *encoder) element(name string, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		if v.Kind() == reflect.Interface {
			return fmt.Errorf("member %s: unions and documents are not served", name)
		}
		if v.Elem().Kind() == reflect.String {
			return e.text(name, v.Elem().String()) // a set string, even empty, is sent
		}
		return e.element(name, v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return e.text(name, base64.StdEncoding.EncodeToString(v.Bytes()))
		}
		return e.list(name, v)
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		return e.mapOf(name, v)
	case reflect.Struct:
		if v.Type() == timeType {
			return e.text(name, v.Interface().(time.Time).UTC().Format("2006-01-02T15:04:05.000Z"))
		}
		e.open(name)
		if err := e.fields(v); err != nil {
			return err
		}
		e.close(name)
		return nil
	case reflect.String:
		if v.String() == "" {
			return nil // an unset enum
		}
		return e.text(name, v.String())
	case reflect.Bool:
		return e.text(name, strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int32, reflect.Int64:
		return e.text(name, strconv.FormatInt(v.Int(), 10))
	case reflect.Float32, reflect.Float64:
		return e.text(name, strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits()))
	}
	return fmt.Errorf("member %s: %s values are not served", name, v.Type())
}

func (e *encoder) list(name string, v reflect.Value) error {
	member := "member"
	if e.p == ec2Query {
		member = "item"
	}
	e.open(name)
	for i := range v.Len() {
		if err := e.element(member, v.Index(i)); err != nil {
			return err
		}
	}
	e.close(name)
	return nil
}

// mapOf writes a map as awsquery's <entry><key/><value/></entry> list, in key order.
func (e *encoder) mapOf(name string, v reflect.Value) error {
	keys := v.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
	e.open(name)
	for _, k := range keys {
		e.open("entry")
		if err := e.element("key", k); err != nil {
			return err
		}
		if err := e.element("value", v.MapIndex(k)); err != nil {
			return err
		}
		e.close("entry")
	}
	e.close(name)
	return nil
}

func (e *encoder) text(name, s string) error {
	e.open(name)
	if err := xml.EscapeText(&e.buf, []byte(s)); err != nil {
		return err
	}
	e.close(name)
	return nil
}
