// Package message holds the one type every stage shares: a received syslog
// message, plus the facility and severity names and the PRI arithmetic that
// RFC 5424 §6.2.1 and RFC 3164 §4.1.1 define.
package message

import (
	"fmt"
	"strconv"
)

// Facility is a syslog facility code, 0 (kern) to 23 (local7).
type Facility uint8

// Severity is a syslog severity code, 0 (emerg) to 7 (debug). Lower is more severe.
type Severity uint8

// Facility codes as RFC 5424 Table 1 numbers them.
const (
	Kern Facility = iota
	User
	Mail
	Daemon
	Auth
	Syslog
	LPR
	News
	UUCP
	Cron
	AuthPriv
	FTP
	NTP
	Security // "log audit"
	Console  // "log alert"
	SolarisCron
	Local0
	Local1
	Local2
	Local3
	Local4
	Local5
	Local6
	Local7
)

// Severity codes as RFC 5424 Table 2 numbers them.
const (
	Emerg Severity = iota
	Alert
	Crit
	Err
	Warning
	Notice
	Info
	Debug
)

// NumFacilities and NumSeverities bound the valid codes.
const (
	NumFacilities = 24
	NumSeverities = 8
	// MaxPRI is the largest valid PRI value (local7.debug).
	MaxPRI = NumFacilities*NumSeverities - 1
)

// facilityNames are the keywords syslog.conf(5) and rsyslog use.
var facilityNames = [NumFacilities]string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

var severityNames = [NumSeverities]string{
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
}

// facilityAliases are accepted in configuration besides the canonical names.
var facilityAliases = map[string]Facility{"audit": Security, "alert": Console, "cron2": SolarisCron}

// severityAliases are the long and legacy spellings syslog.conf accepts.
var severityAliases = map[string]Severity{
	"emergency": Emerg, "panic": Emerg, "critical": Crit, "error": Err,
	"warn": Warning, "informational": Info,
}

// String returns the facility keyword, e.g. "local3".
func (f Facility) String() string {
	if int(f) < NumFacilities {
		return facilityNames[f]
	}
	return "facility(" + strconv.Itoa(int(f)) + ")"
}

// String returns the severity keyword, e.g. "warning".
func (s Severity) String() string {
	if int(s) < NumSeverities {
		return severityNames[s]
	}
	return "severity(" + strconv.Itoa(int(s)) + ")"
}

// ParseFacility accepts a facility name, an alias or a decimal code (0–23).
func ParseFacility(s string) (Facility, error) {
	for i, n := range facilityNames {
		if n == s {
			return Facility(i), nil
		}
	}
	if f, ok := facilityAliases[s]; ok {
		return f, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < NumFacilities {
		return Facility(n), nil
	}
	return 0, fmt.Errorf("unknown facility %q (want kern..local7 or 0-23)", s)
}

// ParseSeverity accepts a severity name, an alias or a decimal code (0–7).
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if n == s {
			return Severity(i), nil
		}
	}
	if v, ok := severityAliases[s]; ok {
		return v, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < NumSeverities {
		return Severity(n), nil
	}
	return 0, fmt.Errorf("unknown severity %q (want emerg..debug or 0-7)", s)
}

// PRI encodes facility and severity as the PRI value: facility×8 + severity.
func PRI(f Facility, s Severity) int { return int(f)*8 + int(s) }

// DecodePRI splits a PRI value into facility and severity. ok is false
// outside 0–191.
func DecodePRI(pri int) (f Facility, s Severity, ok bool) {
	if pri < 0 || pri > MaxPRI {
		return 0, 0, false
	}
	return Facility(pri / 8), Severity(pri % 8), true
}
