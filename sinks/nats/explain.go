package nats

import (
	"fmt"
	"net/url"
	"strings"

	"syslogd/message"
	"syslogd/sinks"
	"syslogd/sinks/template"
)

// Destination is the subject a message would be published on, and how.
type Destination struct {
	// Subject is the subject template rendered for the message, each
	// placeholder value sanitised into one token as the sink does.
	Subject string `json:"subject"`
	Mode    string `json:"mode"` // jetstream or core
	Format  string `json:"format"`
	// URL lists the servers without their user information, which may
	// hold a password or a token.
	URL []string `json:"url"`
	// Stream is the stream the sink creates when it is missing; "" when
	// the configuration names none.
	Stream string `json:"stream"`
}

// String reads "nats MODE subject SUBJECT (FORMAT) via URL, ...".
func (d Destination) String() string {
	s := "nats " + d.Mode + " subject " + sinks.Printable(d.Subject) + " (" + d.Format + ") via " + strings.Join(d.URL, ", ")
	if d.Stream != "" {
		s += "; stream " + d.Stream
	}
	return s
}

// Destination returns where the sink configured with o publishes m: its
// subject template rendered as Write renders it, without connecting.
func (o *Options) Destination(m *message.Message) (sinks.Destination, error) {
	subject, err := template.Parse(o.Subject, template.Subject)
	if err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	d := Destination{Subject: string(subject.Append(nil, m)), Mode: o.Mode.String(), Format: o.Format.String()}
	for _, u := range o.URL {
		d.URL = append(d.URL, withoutUser(u))
	}
	if o.Stream != nil {
		d.Stream = o.Stream.Name
	}
	return d, nil
}

// withoutUser drops the user information of a server URL.
func withoutUser(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(invalid url)"
	}
	u.User = nil
	return u.String()
}

var _ sinks.Explainer = (*Options)(nil)
