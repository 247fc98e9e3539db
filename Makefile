# syslogd — the targets people expect. `make test` is the test command the
# README names and .ci/run calls.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
PKGS    := ./...
FUZZTIME ?= 30s

.PHONY: build run test test-deps faults bench bench-compare bench-e2e fuzz lint clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/syslogd ./cmd/syslogd

run:
	$(GO) run ./cmd/syslogd

# test installs what the tests need (logger from util-linux), then runs
# every package's tests, the end-to-end ones included, and the parser's
# differential fuzz test briefly (make fuzz runs it longer).
test: test-deps
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 $(PKGS)
	$(GO) test -run '^$$' -fuzz FuzzFastPath -fuzztime 10s ./parser

test-deps:
	./scripts/test-deps.sh

# faults runs the fault suite at full size (README "Fault suite"): the
# TestFault cases, which `make test` runs small, and the older e2e tests
# that prove a case of it.
FAULTS := ^(TestFault.*|TestShutdownIsBounded|TestBufferReplaySurvivesKills|TestDiskFull|TestDeadSinkDoesNotStallOthers)$$
faults: test-deps
	SYSLOGD_FAULTS=full $(GO) test -race -count=1 -timeout 30m -v -run '$(FAULTS)' ./e2e

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./listener ./parser ./router ./sinks/... ./daemon

# bench-compare BASE=<rev> runs the benchmarks of `make bench` at BASE and in
# the working tree, alternating rounds, and compares them with benchstat.
bench-compare:
	./scripts/bench-compare.sh $(BASE)

# bench-e2e drives loggen at syslogd, rsyslog and syslog-ng on loopback and
# reports msgs/s, CPU-seconds per million messages and peak RSS (installs
# packages; scenarios and knobs in the script's header).
bench-e2e: build
	./scripts/bench-e2e.sh

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzFramer -fuzztime $(FUZZTIME) ./listener
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./parser
	$(GO) test -run '^$$' -fuzz FuzzFastPath -fuzztime $(FUZZTIME) ./parser
	$(GO) test -run '^$$' -fuzz FuzzLine5424 -fuzztime $(FUZZTIME) ./daemon
	$(GO) test -run '^$$' -fuzz FuzzDecodeJSON -fuzztime $(FUZZTIME) ./parser
	$(GO) test -run '^$$' -fuzz FuzzOpenCorrupt -fuzztime $(FUZZTIME) ./sinks/buffer
	$(GO) test -run '^$$' -fuzz FuzzUnmarshalBinary -fuzztime $(FUZZTIME) ./message

lint:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo 'gofmt needed'; exit 1; }
	$(GO) vet $(PKGS)

clean:
	rm -rf bin log
