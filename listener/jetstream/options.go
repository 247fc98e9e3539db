package jetstream

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"syslogd/natsconn"
)

// Options configure one jetstream listener. The struct, its defaults and
// its checks live here; the configuration decodes the file's keys over
// DefaultOptions and reports Check's errors at their keys.
type Options struct {
	// How to reach NATS: url, authentication, TLS, as for the NATS sink.
	natsconn.Options `yaml:",inline" mapstructure:",squash"`
	Stream           string  `yaml:"stream" mapstructure:"stream"`
	Consumer         string  `yaml:"consumer" mapstructure:"consumer"` // a durable pull consumer, shared by every central instance
	Payload          Payload `yaml:"payload" mapstructure:"payload"`   // what the edge sink wrote: json, rfc5424 or raw
	// Batch is the most messages asked for per pull request.
	Batch int `yaml:"batch" mapstructure:"batch"`
	// MaxInFlight bounds the messages this instance has fetched and not
	// yet settled.
	MaxInFlight int `yaml:"max_in_flight" mapstructure:"max_in_flight"`
	// MaxHold is how long a message waiting in a sink's queue is kept from
	// redelivery (InProgress); after it, the server redelivers it.
	MaxHold time.Duration `yaml:"max_hold" mapstructure:"max_hold"`
	// RetryDelays are the NakWithDelay delays after a sink failure, by
	// delivery; the last one repeats.
	RetryDelays []time.Duration `yaml:"retry_delays" mapstructure:"retry_delays"`
	// CreateConsumer, when set, creates the consumer if it is missing; an
	// existing one is left as it is.
	CreateConsumer *CreateConsumer `yaml:"create_consumer" mapstructure:"create_consumer"`
}

// CreateConsumer describes the durable pull consumer the listener may
// create.
type CreateConsumer struct {
	// FilterSubjects: one works with every server; several need
	// nats-server 2.10 or newer.
	FilterSubjects []string      `yaml:"filter_subjects" mapstructure:"filter_subjects"`
	AckWait        time.Duration `yaml:"ack_wait" mapstructure:"ack_wait"`
	MaxAckPending  int           `yaml:"max_ack_pending" mapstructure:"max_ack_pending"`
	// MaxDeliver bounds deliveries; -1 is unlimited.
	MaxDeliver int `yaml:"max_deliver" mapstructure:"max_deliver"`
}

// Defaults.
const (
	DefaultBatch       = 256
	DefaultMaxInFlight = 1024
	DefaultMaxHold     = 5 * time.Minute
)

// DefaultRetryDelays are the delays of NakWithDelay after a failure.
func DefaultRetryDelays() []time.Duration {
	return []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute}
}

// DefaultOptions returns the settings the configuration does not name.
func DefaultOptions() Options {
	return Options{Payload: PayloadJSON, Batch: DefaultBatch, MaxInFlight: DefaultMaxInFlight,
		MaxHold: DefaultMaxHold, RetryDelays: DefaultRetryDelays()}
}

// SetDefaults fills a create_consumer block the configuration names.
func (c *CreateConsumer) SetDefaults() {
	c.AckWait, c.MaxAckPending, c.MaxDeliver = 30*time.Second, 4096, 10
}

// FieldError is a problem with one option; the configuration reports it
// at its key.
type FieldError = natsconn.FieldError

// Check reports every problem as a *FieldError.
func (o *Options) Check() []error {
	errs := o.Options.Check()
	add := func(path, f string, args ...any) {
		errs = append(errs, &FieldError{Path: path, Err: fmt.Errorf(f, args...)})
	}
	for _, n := range []struct{ key, v string }{{"stream", o.Stream}, {"consumer", o.Consumer}} {
		switch {
		case n.v == "":
			add(n.key, "required")
		case strings.ContainsAny(n.v, " \t\r\n.*>/\\"):
			add(n.key, "invalid name %q (no whitespace, '.', '*', '>', '/' or '\\')", n.v)
		}
	}
	if o.Payload > PayloadRaw {
		add("payload", "unknown payload %d", o.Payload)
	}
	if o.Batch <= 0 {
		add("batch", "must be > 0")
	}
	if o.MaxInFlight <= 0 {
		add("max_in_flight", "must be > 0")
	}
	if o.MaxHold <= 0 {
		add("max_hold", "must be > 0")
	}
	if len(o.RetryDelays) == 0 {
		add("retry_delays", "needs at least one delay")
	}
	for i, d := range o.RetryDelays {
		if d < 0 {
			add(fmt.Sprintf("retry_delays[%d]", i), "must be >= 0")
		}
	}
	if c := o.CreateConsumer; c != nil {
		if len(c.FilterSubjects) == 0 {
			add("create_consumer.filter_subjects", "required (e.g. [\"syslog.>\"])")
		}
		if c.AckWait < time.Second {
			add("create_consumer.ack_wait", "must be at least 1s")
		}
		if c.MaxAckPending <= 0 {
			add("create_consumer.max_ack_pending", "must be > 0")
		} else if c.MaxAckPending < o.MaxInFlight {
			add("create_consumer.max_ack_pending", "must be at least max_in_flight (%d): it is shared by every instance", o.MaxInFlight)
		}
		if c.MaxDeliver == 0 || c.MaxDeliver < -1 {
			add("create_consumer.max_deliver", "must be > 0, or -1 for unlimited")
		}
	}
	return errs
}

// Payload is what the edge's NATS sink wrote (its format).
type Payload uint8

// Payloads.
const (
	PayloadJSON Payload = iota
	PayloadRFC5424
	PayloadRaw
)

var payloadNames = []string{PayloadJSON: "json", PayloadRFC5424: "rfc5424", PayloadRaw: "raw"}

// UnmarshalText accepts json, rfc5424 and raw.
func (p *Payload) UnmarshalText(b []byte) error {
	for i, n := range payloadNames {
		if string(b) == n {
			*p = Payload(i)
			return nil
		}
	}
	return fmt.Errorf("invalid value %q (want %s)", b, strings.Join(payloadNames, ", "))
}

func (p Payload) String() string {
	if int(p) < len(payloadNames) {
		return payloadNames[p]
	}
	return "unknown"
}

// errNotPull is the bind error for a consumer this listener cannot use.
var errNotPull = errors.New("consumer is a push consumer (it has a deliver_subject); a jetstream listener needs a durable pull consumer")
