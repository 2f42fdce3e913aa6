package bench

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/mirror"
)

// Moto is a moto server to measure plans against through the SDK: its URL (for the reset),
// and the SDK clients the caller built for it, behind albctl's endpoint policy. The caller
// checks that the URL is on this machine: Measure wipes it.
type Moto struct {
	URL  string
	API  cloud.API
	Seed mirror.SeedAPI
	// HTTP posts the reset (nil: http.DefaultClient).
	HTTP *http.Client
}

// Measure resets moto, seeds a generated world of each size into it, and plans through the
// SDK clients, one row per size.
func (mo Moto) Measure(ctx context.Context, ns []int) ([]EndpointRow, error) {
	var rows []EndpointRow
	for _, n := range ns {
		if err := mo.reset(ctx); err != nil {
			return rows, err
		}
		r, err := mo.measureOne(ctx, n)
		if err != nil {
			return rows, fmt.Errorf("n=%d: %w", n, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// reset empties moto (POST /moto-api/reset), so each size starts from nothing.
func (mo Moto) reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(mo.URL, "/")+"/moto-api/reset", nil)
	if err != nil {
		return err
	}
	client := mo.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("reset: %s", resp.Status)
	}
	return nil
}

// measureOne seeds the world of size n (timed), points the spec's sources at the IDs moto
// gave them, and measures a plan.
func (mo Moto) measureOne(ctx context.Context, n int) (EndpointRow, error) {
	w, stack := Generate(n, Seed)
	t0 := time.Now()
	seeded, err := mirror.Seed(ctx, mo.Seed, w)
	if err != nil {
		return EndpointRow{}, err
	}
	seedNs := time.Since(t0)
	for i := range stack.Fleets {
		if id, ok := seeded.IDs[stack.Fleets[i].Source]; ok {
			stack.Fleets[i].Source = id
		}
	}
	r, err := MeasureEndpoint(ctx, n, mo.API, stack)
	if err != nil {
		return EndpointRow{}, err
	}
	r.SeedNs = int64(seedNs)
	return r, nil
}
