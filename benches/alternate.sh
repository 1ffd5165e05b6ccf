#!/usr/bin/env bash
# Compare builds of a benchmark on a machine whose speed drifts: run each build's criterion
# bench in turn, ROUNDS times, 2 s each, and print per build the minimum and the mean of
# criterion's lower estimates (in the unit criterion prints first; keep to benches of one unit). Alternating spreads the drift over all builds alike; the
# minimum is the figure least disturbed by other work on the host.
#
#   cargo bench --bench engine --no-run        # prints target/release/deps/engine-<hash>
#   cp target/release/deps/engine-<hash> /tmp/bench_before   # then change, rebuild, copy again
#   benches/alternate.sh 8 four_state_cpu/engine /tmp/bench_before /tmp/bench_after
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 ROUNDS BENCH-FILTER BENCH-BINARY..." >&2
  exit 2
fi
rounds=$1
filter=$2
shift 2
for _ in $(seq "$rounds"); do
  for bin in "$@"; do
    ms=$("$bin" --bench "$filter" --warm-up-time 1 --measurement-time 2 2>&1 |
      awk '/time:/ && !done { sub(/.*\[/, ""); print $1, $2; done = 1 }')
    echo "$bin $ms"
  done
done | awk '{ if (!($1 in lo) || $2 < lo[$1]) lo[$1] = $2; sum[$1] += $2; n[$1]++; u = $3 }
  END { for (b in lo) printf "%s  min %.2f %s  mean %.2f %s\n", b, lo[b], u, sum[b] / n[b], u }'
