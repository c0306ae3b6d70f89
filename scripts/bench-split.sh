#!/usr/bin/env bash
# Runs `boxoffice bench --target` against a five-process split deployment of BINARY started on a
# fresh database of the PostgreSQL server at $PG (default: the tests' cluster, started by
# `bash scripts/test.sh --postgres`), and prints one JSON line: purchases/s, the processes' CPU
# summed per purchase, payment -> ticket from the database, seats on two completed orders.
# Used for docs/performance.md ("A split deployment that keeps up"). Loopback only; bounded by
# the bench's --max-secs and a 120 s wait for the backlog.
#
#   bash scripts/bench-split.sh BINARY LABEL [SEATS]
#   PEERS=1   the processes ask each other over HTTP (--<service>-url) instead of the database
#   KAFKA=1   also start a tansu broker and pass --kafka-brokers (required before issue #30)
#   BENCH_BIN the binary whose `bench` drives the load (default BINARY)
set -euo pipefail
BIN=$1; LABEL=$2; SEATS=${3:-2000}
PG=${PG:-postgres://postgres@127.0.0.1:55432}
OUT=${TMPDIR:-/tmp}/bench-split-$LABEL; rm -rf "$OUT"; mkdir -p "$OUT/data"
DB=bench_split_$LABEL
psql "$PG/postgres" -qc "drop database if exists $DB" -c "create database $DB" >/dev/null 2>&1
URL="$PG/$DB"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
BROKER=()
if [ -n "${KAFKA:-}" ]; then
  P=$(free_port)
  tansu broker --listener-url tcp://127.0.0.1:$P --advertised-listener-url tcp://127.0.0.1:$P \
    --storage-engine memory://tansu/ >/dev/null 2>&1 & PIDS+=($!)
  sleep 1; BROKER=(--kafka-brokers 127.0.0.1:$P)
fi
COMMON=(--database-url "$URL" "${BROKER[@]}" --data-dir "$OUT/data" --bind 127.0.0.1
        --hold-rate-limit 0 --login-rate-limit 0 --signup-rate-limit 0)
PEER_ARGS=()
if [ -n "${PEERS:-}" ]; then
  PEER_ARGS=(--identity-url http://127.0.0.1:61000 --catalog-url http://127.0.0.1:61001
    --inventory-url http://127.0.0.1:61002,http://127.0.0.1:61012 --ordering-url http://127.0.0.1:61003
    --payment-url http://127.0.0.1:61004 --fulfillment-url http://127.0.0.1:61005)
fi
NAMES=()
start() { NAMES+=("$1"); shift; "$BIN" serve "${COMMON[@]}" "${PEER_ARGS[@]}" "$@" >"$OUT/${NAMES[-1]}.log" 2>&1 & PIDS+=($!); }
start front --services identity,catalog,gateway --identity-port 61000 --catalog-port 61001 --gateway-port 61080
sleep 2
start inv1 --no-demo --services inventory --inventory-port 61002
start inv2 --no-demo --services inventory --inventory-port 61012
start sales --no-demo --services ordering,payment --ordering-port 61003 --payment-port 61004
start after --no-demo --services fulfillment,notification,waitlist --fulfillment-port 61005
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:61080/ready >/dev/null && break; sleep 0.2; done
sleep 2
SERVERS=("${PIDS[@]: -5}")
cpu() { t=0; for p in "${SERVERS[@]}"; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo $t; }
"${BENCH_BIN:-$BIN}" bench --target http://127.0.0.1:61080 --seats "$SEATS" --max-secs 120 \
  --health-secs 1 --json >"$OUT/bench.json" 2>"$OUT/bench.err" &
BENCH=$!
# The CPU counts from the end of the /health phase.
until grep -q "GET /health" "$OUT/bench.err" 2>/dev/null; do sleep 0.02; done
C0=$(cpu)
wait $BENCH || true
for _ in $(seq 1 600); do
  left=$(psql "$URL" -tAc "select count(*) from payment.payment_payments p where p.status = 'succeeded'
    and not exists (select 1 from fulfillment.fulfillment_tickets t where t.order_id = p.order_id)")
  [ "$left" = 0 ] && break; sleep 0.2
done
C1=$(cpu)
PAID=$(psql "$URL" -tAc "select count(*) from payment.payment_payments where status = 'succeeded'")
LAG=$(psql "$URL" -tAc "with l as (select (min(t.issued_at) - p.processed_at) / 1000.0 as ms
    from payment.payment_payments p join fulfillment.fulfillment_tickets t on t.order_id = p.order_id
    where p.status = 'succeeded' group by p.payment_id, p.processed_at)
  select round(percentile_cont(0.5) within group (order by ms)::numeric, 1) || ' / '
      || round(percentile_cont(0.99) within group (order by ms)::numeric, 1) from l")
TWICE=$(psql "$URL" -tAc "select count(*) from (select i.seat_id from ordering.ordering_order_items i
    join ordering.ordering_orders o using (order_id) where o.state = 'completed'
    group by i.seat_id having count(*) > 1) d")
python3 - "$OUT/bench.json" "$LABEL" "$PAID" "$C0" "$C1" "$(getconf CLK_TCK)" "$LAG" "$TWICE" <<'PY'
import json, sys
f, label, paid, c0, c1, ticks, lag, twice = sys.argv[1:]
try:
    bench = json.load(open(f))
except (OSError, ValueError):
    bench = {}
paid = int(paid)
print(json.dumps({
    "label": label,
    "purchasesPerSec": bench.get("purchasesPerSec"),
    "holdP99Ms": bench.get("steps", {}).get("hold", {}).get("p99Ms"),
    "purchases": paid,
    "cpuMsPerPurchaseAllProcesses": round((int(c1) - int(c0)) * 1000 / int(ticks) / max(paid, 1), 3),
    "paymentToTicketMsP50P99": lag,
    "seatsOnTwoCompletedOrders": int(twice),
    "httpErrors": bench.get("httpErrors"),
}))
PY
psql "$PG/postgres" -qc "drop database if exists $DB" >/dev/null 2>&1 || true
rm -rf "$OUT/data"
