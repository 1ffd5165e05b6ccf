#!/usr/bin/env bash
# Instructions per replication of the shipped scenario, counted by valgrind's callgrind: the
# same count for the same build and inputs whatever else the machine is doing, so two builds
# can be compared on a host whose speed drifts (benches/alternate.sh gives the time). An
# instruction count is not a time (stalls and cache misses are not in it): use both.
#
#   cargo build --release && benches/instructions.sh target/release/ressim [REPLICATIONS]
#
# Prints, per replication, the instructions of the whole replication (run_rep_indexed: engine
# and booking), of the engine (run_counts_with: cohort, tables, month loop) and of its parts.
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 RESSIM-BINARY [REPLICATIONS]" >&2
  exit 2
fi
bin=$1
reps=${2:-8}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$bin" run \
  --replications "$reps" --threads 1 --quiet --no-break-even --out "$dir/out" >/dev/null 2>&1
callgrind_annotate --inclusive=yes "$dir/cg.out" 2>/dev/null | sed 's/([^)]*)//' |
  awk -v r="$reps" '{ gsub(",", "", $1) }
    $2 ~ /ressim::(montecarlo::run_rep_indexed|montecarlo::run_counts_with|engine::run_block|engine::ArmCounts::close|engine::life::CMortality::fires|engine::exits::rate|economics::book|montecarlo::results::Results::fold)$/ && $3 ~ /^\[/ {
      n = split($2, a, "::"); printf "%9.2f M instructions per replication  %s\n", $1 / r / 1e6, a[n - 1] "::" a[n] }'
