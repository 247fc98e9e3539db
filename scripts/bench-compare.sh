#!/bin/sh
# bench-compare.sh BASE [COUNT]: the hot-path benchmarks of `make bench` at
# git revision BASE and at the working tree, run in alternation (a round of
# BASE, a round of the tree, COUNT times) so that both see the same machine,
# then compared with benchstat. PKGS="./sinks ./daemon" narrows the packages. The machine's speed drifts between minutes
# here; alternating keeps a drift from looking like a change.
set -eu
base=${1:?usage: bench-compare.sh BASE [COUNT]}
count=${2:-6}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pkgs=${PKGS:-"./listener ./parser ./router ./sinks ./sinks/file ./sinks/format ./sinks/template ./daemon"}

mkdir -p "$work/base"
git -C "$root" archive "$base" | tar -x -C "$work/base"
build() { # build SRC OUT: one test binary per package that exists in SRC
	for p in $pkgs; do
		[ -d "$1/$p" ] || continue
		(cd "$1" && go test -c -o "$2/$(echo "$p" | tr ./ __).test" "$p" >/dev/null)
	done
}
mkdir -p "$work/bin-base" "$work/bin-head"
build "$work/base" "$work/bin-base"
build "$root" "$work/bin-head"
: >"$work/base.txt"
: >"$work/head.txt"
for i in $(seq "$count"); do
	for side in base head; do
		for t in "$work/bin-$side"/*.test; do
			pkg=$(basename "$t" .test)
			dir="$work/base"
			[ "$side" = head ] && dir=$root
			# run from the package directory, where its testdata is
			src=$(echo "$pkg" | sed 's/^__//; s/_/\//g')
			[ -d "$dir/$src" ] || continue
			(cd "$dir/$src" && "$t" -test.run '^$' -test.bench . -test.benchmem -test.benchtime 300ms) |
				grep -E '^(Benchmark|pkg:|goos|goarch|cpu)' >>"$work/$side.txt"
		done
	done
	echo "round $i of $count done" >&2
done
go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da "$work/base.txt" "$work/head.txt"
