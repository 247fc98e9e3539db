package config

import (
	"slices"
	"testing"
)

// TestJournalFieldsDecoded: static fields keep their order and the case of
// their names (viper would lowercase map keys, hence the list), and a YAML
// number is taken as its text.
func TestJournalFieldsDecoded(t *testing.T) {
	c := mustLoad(t, `
listeners: [{name: u, protocol: udp, address: ":0"}]
sinks:
  - name: j
    type: journald
    namespace: audit
    fields:
      - {name: SYSLOGD_SITE, value: fra1}
      - {name: RACK, value: 5}
      - {name: NOTE, value: "two\nlines"}
routes: [{name: r, sinks: [j]}]
`)
	want := []JournalField{{"SYSLOGD_SITE", "fra1"}, {"RACK", "5"}, {"NOTE", "two\nlines"}}
	if s := c.Sinks[0]; s.Namespace != "audit" || !slices.Equal(s.Fields, want) {
		t.Errorf("sink %+v, want namespace audit and fields %v", s, want)
	}
}
