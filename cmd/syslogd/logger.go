package main

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"

	"syslogd/config"
)

// daemonLog is the daemon's own log, changeable on reload: log.level
// through a LevelVar, log.format by swapping the handler every logger
// derived from it writes through.
type daemonLog struct {
	w      io.Writer
	level  slog.LevelVar
	format string
	root   atomic.Pointer[slog.Handler]
}

func newDaemonLog(cfg *config.Config, w io.Writer) (*daemonLog, *slog.Logger) {
	dl := &daemonLog{w: w}
	dl.apply(cfg)
	return dl, slog.New(&switchHandler{root: &dl.root})
}

// apply takes log.level and log.format from cfg (already checked by config).
func (dl *daemonLog) apply(cfg *config.Config) {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	dl.level.Set(level)
	if dl.root.Load() != nil && cfg.Log.Format == dl.format {
		return
	}
	opts := &slog.HandlerOptions{Level: &dl.level}
	var h slog.Handler = slog.NewTextHandler(dl.w, opts)
	if cfg.Log.Format == "json" {
		h = slog.NewJSONHandler(dl.w, opts)
	}
	dl.format = cfg.Log.Format
	dl.root.Store(&h)
}

// switchHandler writes through the handler root points to now, with the
// attributes and groups its logger was derived with (log.With): loggers
// that stages keep from the start follow a format change. The log is not
// on the message path, so rebuilding the chain per record costs nothing
// that matters.
type switchHandler struct {
	root *atomic.Pointer[slog.Handler]
	ops  []func(slog.Handler) slog.Handler
}

func (s *switchHandler) current() slog.Handler {
	h := *s.root.Load()
	for _, op := range s.ops {
		h = op(h)
	}
	return h
}

func (s *switchHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return (*s.root.Load()).Enabled(ctx, l)
}

func (s *switchHandler) Handle(ctx context.Context, r slog.Record) error {
	return s.current().Handle(ctx, r)
}

func (s *switchHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return s.with(func(h slog.Handler) slog.Handler { return h.WithAttrs(as) })
}

func (s *switchHandler) WithGroup(name string) slog.Handler {
	return s.with(func(h slog.Handler) slog.Handler { return h.WithGroup(name) })
}

func (s *switchHandler) with(op func(slog.Handler) slog.Handler) slog.Handler {
	ops := append(append([]func(slog.Handler) slog.Handler(nil), s.ops...), op)
	return &switchHandler{root: s.root, ops: ops}
}
