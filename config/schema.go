package config

import "reflect"

// Schema tells Load which options each listener protocol and each sink
// type takes. Config itself names no concrete type: the daemon owns the
// one table (daemon/types.go), and a new type is a row there.
type Schema struct {
	Listeners []Kind // by protocol, in the order error messages list them
	Sinks     []Kind // by type
}

// Kind is one listener protocol or sink type.
type Kind struct {
	Name string
	// New returns the kind's options with their defaults set, as a pointer
	// to a struct with yaml and mapstructure tags. The keys the file sets
	// beside name and protocol/type are decoded over it, so a key set to
	// zero stays zero and Check reports it.
	New func() Options
}

// Options are the settings of one listener or sink, owned by its stage.
//
// Check reports every problem. An error with a FieldPath() string method
// is placed at that path relative to the listener or sink
// ("tls.cert_file", "fields[2].name"); if it also has OnKey() returning
// true it is placed at the key, for a key that should not be there, and
// nothing below it is reported. Other errors are placed at the listener
// or sink.
//
// Optional abilities, found by type assertion:
//   - a nested block whose pointer has SetDefaults() gets its defaults
//     when the file names the block, before the block's keys;
//   - listener options with Socket() (field, key, where string) are
//     checked for two listeners binding one socket;
//   - string fields whose yaml tag has the flag ",file" name a file the
//     daemon reads: it must be readable. ",scalar" on a list lets one
//     string stand for a list of one.
type Options interface {
	Check() []error
}

// section describes a list of kinds in the file: "listeners" keyed by
// protocol, "sinks" keyed by type.
type section struct {
	key    string       // "listeners"
	noun   string       // "listener", for messages
	disc   string       // "protocol"
	common reflect.Type // the keys every kind has: Listener or Sink
	kinds  []Kind
}

func (s *section) find(name string) *Kind {
	for i := range s.kinds {
		if s.kinds[i].Name == name {
			return &s.kinds[i]
		}
	}
	return nil
}

func (s *section) names() []string {
	out := make([]string, len(s.kinds))
	for i, k := range s.kinds {
		out[i] = k.Name
	}
	return out
}

// optionsType is the struct a kind decodes into.
func optionsType(k *Kind) reflect.Type { return reflect.TypeOf(k.New()).Elem() }

func sections(s Schema) (listeners, sinks *section) {
	return &section{key: "listeners", noun: "listener", disc: "protocol", common: listenerType, kinds: s.Listeners},
		&section{key: "sinks", noun: "sink", disc: "type", common: sinkType, kinds: s.Sinks}
}
