package file

import (
	"fmt"

	"syslogd/message"
	"syslogd/sinks"
	"syslogd/sinks/template"
)

// Destination is the file a message would be appended to.
type Destination struct {
	// Path is the file written: the rendered path cleaned, or the sink's
	// unsafe-path file when Unsafe.
	Path string `json:"path"`
	// Rendered is the path template expanded for the message, with the
	// placeholder values sanitised as the sink does.
	Rendered string `json:"rendered"`
	Template string `json:"template"`
	Format   string `json:"format"`
	// Unsafe reports that the rendered path leaves the sink's directory
	// (or holds a NUL byte), so the sink writes to Path instead.
	Unsafe bool `json:"unsafe"`
}

// String reads "file PATH (FORMAT)", with the rendered path when unsafe.
func (d Destination) String() string {
	s := "file " + sinks.Printable(d.Path) + " (" + d.Format + ")"
	if d.Unsafe {
		s += "\nunsafe: the rendered path " + sinks.Printable(d.Rendered) + " leaves the sink's directory"
	}
	return s
}

// Destination returns the file the sink configured with o writes m to:
// its path template rendered and guarded as Write does, without opening
// anything.
func (o *Options) Destination(m *message.Message) (sinks.Destination, error) {
	tpl, err := template.Parse(o.Path, template.Path)
	if err != nil {
		return nil, fmt.Errorf("path: %w", err)
	}
	rendered := string(tpl.Append(nil, m))
	base, unsafePath := baseDir(tpl.StaticPrefix())
	path, safe := resolvePath(base, unsafePath, rendered)
	return Destination{Path: path, Rendered: rendered, Template: o.Path, Format: o.Format.String(), Unsafe: !safe}, nil
}

var _ sinks.Explainer = (*Options)(nil)
