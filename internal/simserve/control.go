package simserve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/albctl/albctl/internal/simulator"
)

// control is the API under /_albctl/, which no AWS API uses: the clock, the client model's
// traffic, and saving the world (docs/sim-serve.md).
type control struct {
	sim   *simulator.Sim
	save  func() error
	clock string
	// clients is the client model, when the server runs it: its report joins the traffic.
	clients *simulator.Clients
}

func (c *control) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + r.URL.Path
	switch route {
	case "GET /_albctl/clock":
		c.writeClock(w)
	case "POST /_albctl/clock/advance":
		by, err := time.ParseDuration(r.URL.Query().Get("by"))
		if err != nil || by <= 0 {
			writeJSONError(w, http.StatusBadRequest, fmt.Errorf("by=%q: give a positive duration such as by=30s", r.URL.Query().Get("by")))
			return
		}
		c.sim.Clock().Advance(by)
		c.writeClock(w)
	case "GET /_albctl/traffic":
		answer := map[string]any{"now": c.sim.Clock().Now(), "listeners": c.sim.Traffic()}
		if c.clients != nil {
			answer["clients"] = c.clients.Report()
		}
		writeJSON(w, http.StatusOK, answer)
	case "POST /_albctl/save":
		if c.save == nil {
			writeJSONError(w, http.StatusConflict, fmt.Errorf("the server has no world file to save to (start it with --world FILE)"))
			return
		}
		if err := c.save(); err != nil {
			writeJSONError(w, http.StatusInternalServerError, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"saved": true, "now": c.sim.Clock().Now()})
	default:
		writeJSONError(w, http.StatusNotFound, fmt.Errorf("no control endpoint %s (see docs/sim-serve.md)", route))
	}
}

func (c *control) writeClock(w http.ResponseWriter) {
	mode := c.clock
	if mode == "" {
		mode = "manual"
	}
	writeJSON(w, http.StatusOK, map[string]any{"now": c.sim.Clock().Now(), "clock": mode})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"error":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

func writeJSONError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}
