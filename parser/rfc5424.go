package parser

import (
	"strings"
	"time"

	"github.com/leodido/go-syslog/v4/rfc5424"

	"syslogd/message"
)

// bom is the UTF-8 byte order mark RFC 5424 §6.4 lets MSG start with to
// declare UTF-8; it is a marker, not text.
const bom = "\xEF\xBB\xBF"

// parse5424 fills m from an RFC 5424 frame. in is the frame without
// trailer bytes, data the frame as received, pri its already checked PRI
// and priEnd the offset just past its '>' (from parsePRI).
// go-syslog's MSG-ANY rule accepts any octets, so non-UTF-8 bodies parse.
func (p *Parser) parse5424(m *message.Message, in, data []byte, pri, priEnd int) {
	if !p.noFast && p.fast5424(m, in, pri, priEnd) {
		return
	}
	src, ts, lifted := in, time.Time{}, false
	if !p.noLift {
		if scratch, t, ok := p.liftTimestamp(in, priEnd); ok {
			src, ts, lifted = scratch, t, true
		}
	}
	res, err := machineParse(p.m5424, src)
	if err != nil && lifted {
		// Report the error as go-syslog finds it in the sender's own frame.
		src, lifted = in, false
		res, err = machineParse(p.m5424, src)
	}
	if err != nil {
		unparsed(m, data, pri, "rfc5424: "+err.Error())
		return
	}
	sm, ok := res.(*rfc5424.SyslogMessage)
	if !ok {
		unparsed(m, data, pri, "rfc5424: "+errMalformed.Error())
		return
	}
	m.Format = message.RFC5424
	m.Facility, m.Severity, _ = message.DecodePRI(pri)
	switch {
	case lifted:
		m.Timestamp = ts
	case sm.Timestamp != nil:
		m.Timestamp = *sm.Timestamp
	}
	// go-syslog already allocated these strings and maps NILVALUE to nil;
	// taking them as they are adds no copies.
	m.Hostname = str(sm.Hostname)
	m.AppName = str(sm.Appname)
	m.ProcID = str(sm.ProcID)
	m.MsgID = str(sm.MsgID)
	m.Text = strings.TrimPrefix(str(sm.Message), bom)
	if sm.StructuredData != nil {
		// A lifted src keeps in's bytes up to the timestamp, so priEnd holds.
		m.StructuredData = orderSD(src, priEnd, *sm.StructuredData)
	}
}
