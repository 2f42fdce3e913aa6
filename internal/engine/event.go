package engine

import "time"

// EventType says what an Event reports.
type EventType string

const (
	EventStarted EventType = "step_started"
	EventWaiting EventType = "waiting"
	EventRetry   EventType = "retry"
	EventDone    EventType = "step_done"
	EventFailed  EventType = "step_failed"
	EventSummary EventType = "summary"
)

// Event is one line of apply progress; `apply -json` prints each as a JSON object.
type Event struct {
	Type     EventType     `json:"type"`
	Time     time.Time     `json:"time"`
	Step     string        `json:"step,omitempty"`
	Kind     string        `json:"kind,omitempty"`
	Resource string        `json:"resource,omitempty"`
	Message  string        `json:"message,omitempty"`
	Output   string        `json:"output,omitempty"`
	Error    string        `json:"error,omitempty"`
	Elapsed  time.Duration `json:"elapsed_ns,omitempty"`
	Done     int           `json:"done,omitempty"`
	NotDone  int           `json:"not_done,omitempty"`
	Failed   string        `json:"failed,omitempty"`
}
