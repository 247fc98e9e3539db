package daemon

import (
	"fmt"
	"log/slog"
	"syslogd/sinks/template"

	"syslogd/config"
	"syslogd/sinks"
	"syslogd/sinks/format"
	"syslogd/sinks/nats"
)

// newNATSSink compiles the subject template here, so that the sink does
// not depend on the router, and hands the sink its counters: it counts
// acknowledgements, spool drops and retries itself.
func newNATSSink(sc config.Sink, log *slog.Logger, c *sinks.Counters) (sinks.Sink, error) {
	subject, err := template.Parse(sc.Subject, template.Subject)
	if err != nil {
		return nil, fmt.Errorf("sink %s: subject: %w", sc.Name, err)
	}
	f, err := format.Parse(sc.Format)
	if err != nil {
		return nil, fmt.Errorf("sink %s: %w", sc.Name, err)
	}
	mode, err := nats.ParseMode(sc.Mode)
	if err != nil {
		return nil, fmt.Errorf("sink %s: %w", sc.Name, err)
	}
	cfg := nats.Config{
		Name: sc.Name, URLs: sc.URL, Subject: subject, Format: f, Mode: mode,
		User: sc.User, Password: sc.Password, Token: sc.Token, CredsFile: sc.CredsFile, NKeyFile: sc.NKeyFile,
		CAFile: sc.CAFile, CertFile: sc.CertFile, KeyFile: sc.KeyFile,
		SpoolDir: sc.SpoolDir, SpoolMaxBytes: int64(sc.SpoolMaxBytes), MaxPending: sc.MaxPending,
		Counters: c,
	}
	if st := sc.Stream; st != nil {
		cfg.Stream = &nats.Stream{Name: st.Name, Subjects: st.Subjects, Storage: st.Storage, Replicas: st.Replicas, MaxAge: st.MaxAge}
	}
	s, err := nats.New(cfg, log)
	if err != nil {
		return nil, fmt.Errorf("sink %s: %w", sc.Name, err)
	}
	return s, nil
}
