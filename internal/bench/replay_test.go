package bench

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/testkit"
)

// TestTapeCoversEveryRead: the recorder and the player answer every read of albctl's cloud
// interfaces themselves. A read they lack falls through to the client they embed, which for
// the player is nil: the bench against moto crashed the day Observe began reading snapshots.
func TestTapeCoversEveryRead(t *testing.T) {
	t.Parallel()
	api := testkit.API(testkit.NewSim(t, simulator.SeedWorld()))
	tp := &tape{}
	for name, clients := range map[string]cloud.API{"recorder": recorder(api, tp), "player": player(tp)} {
		for _, c := range []struct {
			iface  reflect.Type
			client any
		}{
			{reflect.TypeFor[cloud.EC2](), clients.EC2},
			{reflect.TypeFor[cloud.ELBV2](), clients.ELBV2},
			{reflect.TypeFor[cloud.IAM](), clients.IAM},
		} {
			for i := range c.iface.NumMethod() {
				m := c.iface.Method(i)
				if !isRead(m.Name) {
					continue
				}
				if err := callRead(reflect.ValueOf(c.client).MethodByName(m.Name)); err != nil {
					t.Errorf("%s: %s.%s: %v", name, c.iface.Name(), m.Name, err)
				}
			}
		}
	}
}

func isRead(op string) bool {
	return strings.HasPrefix(op, "Describe") || strings.HasPrefix(op, "List") || strings.HasPrefix(op, "Get")
}

// callRead calls a read with an empty input and reports a panic (a nil embedded client).
func callRead(m reflect.Value) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("not on the tape: %v", r)
		}
	}()
	m.Call([]reflect.Value{reflect.ValueOf(context.Background()), reflect.New(m.Type().In(1).Elem())})
	return nil
}
