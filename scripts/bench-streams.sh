#!/usr/bin/env bash
# Open seat maps against none, build against build: for each round and each BINARY, runs
# `BINARY bench --seats SEATS --streams 0` and then `--streams 10000`, and prints one line per
# run: purchases/s, hold p50/p99, server CPU per purchase, and how soon a hold reached the open
# maps. Used for docs/performance.md ("10,000 open seat maps"). Each run starts its own server
# on loopback and is bounded by the bench's --max-secs.
#
#   bash scripts/bench-streams.sh SEATS ROUNDS BINARY [BINARY ...]
set -euo pipefail
SEATS=$1; ROUNDS=$2; shift 2
RUN=$(mktemp)
trap 'rm -f "$RUN"' EXIT
for _ in $(seq 1 "$ROUNDS"); do
  for BIN in "$@"; do
    for STREAMS in 0 10000; do
      "$BIN" bench --seats "$SEATS" --streams "$STREAMS" --health-secs 1 >"$RUN" 2>&1
      printf '%s %s | %s | %s | %s | %s\n' "$BIN" "$STREAMS" \
        "$(grep -E 'purchases/s,' "$RUN" | sed 's/.*: //')" \
        "$(grep -E '^  hold ' "$RUN" | tr -s ' ' | cut -d' ' -f5-9)" \
        "$(grep 'server CPU' "$RUN" | sed 's/ per purchase during the sale.*//;s/.*CPU: //')" \
        "$(grep 'reached' "$RUN" | sed 's/.*maps: //;s/ (.*//')"
    done
  done
done
