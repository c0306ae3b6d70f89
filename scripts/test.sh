#!/usr/bin/env bash
# The README's test command. On a machine with only the Rust toolchain, gcc, make and perl it
# installs what the tests need, checks formatting, lints and docs, then runs the whole suite
# twice: on SQLite, then on PostgreSQL (a throwaway cluster it starts and removes).
#
#   bash scripts/test.sh              install what is missing, check, run both legs (what CI runs)
#   bash scripts/test.sh --install    only install what is missing
#   bash scripts/test.sh --postgres   start a PostgreSQL cluster on 127.0.0.1:55432 and leave it
#                                     running, for plain `cargo nextest run` (the tests' default
#                                     TEST_POSTGRES_URL); prints how to stop it
#
# Any other arguments go to both `cargo nextest run`s (a filter, `--no-fail-fast`, …).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$*" "$(($(date +%s) - started))"; }

mode=all
case "${1:-}" in
  --install) mode=install; shift ;;
  --postgres) mode=postgres; shift ;;
esac

# --- What the tests need -------------------------------------------------------------------
# Programs the tests call: the seed page's scripts (curl, jq, node), PDF text and rendering
# (poppler-utils), QR decoding (zbar-tools), headless Chromium with its WebDriver for the web UI
# (and npm, for the accessibility checker axe-core),
# PostgreSQL for the second leg and the split deployments, and python3's venv module for the
# SMTP sink. Each test that needs one says so if it is missing (crates/testkit/src/tools.rs).
declare -A package_of=([jq]=jq [curl]=curl [node]=nodejs [npm]=npm [pdftotext]=poppler-utils
                       [pdftoppm]=poppler-utils [zbarimg]=zbar-tools [chromium]=chromium
                       [chromedriver]=chromium-driver [psql]=postgresql-client)
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

install() {
  local missing=()
  for tool in "${!package_of[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("${package_of[$tool]}")
  done
  [ -x "$(pg_bin)/initdb" ] || missing+=(postgresql)
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
  if [ "${#missing[@]}" -gt 0 ]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    step "installing Debian packages: ${missing[*]}"
    local sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    # The cluster is ours to start; a package's own would only take memory and port 5432.
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
    if command -v pg_ctlcluster >/dev/null 2>&1; then
      "${sudo[@]}" pg_lsclusters -h 2>/dev/null | while read -r version name _; do
        "${sudo[@]}" pg_ctlcluster "$version" "$name" stop 2>/dev/null || true
      done
    fi
  fi

  # The SMTP sink (aiosmtpd) and the API fuzzer (schemathesis), from PyPI, in a virtualenv kept
  # outside the checkout (fresh clones share it) and linked as .venv.
  local venv="${TEST_VENV:-$HOME/.cache/boxoffice-tests/venv}"
  if ! "$venv/bin/python" -c 'import aiosmtpd, schemathesis' >/dev/null 2>&1; then
    step "installing aiosmtpd and schemathesis from PyPI into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check aiosmtpd==1.4.6 schemathesis==4.32.5
  fi
  [ "$(readlink .venv 2>/dev/null)" = "$venv" ] || { rm -rf .venv; ln -s "$venv" .venv; }

  # axe-core, the accessibility checker the browser tests run on every page, from npm (pinned by
  # tests/a11y/package-lock.json).
  if [ ! -f tests/a11y/node_modules/axe-core/axe.min.js ]; then
    step "installing axe-core from npm into tests/a11y"
    (cd tests/a11y && npm ci --silent --no-audit --no-fund)
  fi

  command -v cargo-nextest >/dev/null 2>&1 || { step "installing cargo-nextest"; cargo install cargo-nextest --locked; }

  # A Kafka-protocol broker for the Kafka tests: tansu from crates.io with its in-memory storage
  # engine. Built without optimisation (about 3 minutes on 2 cores instead of 10; it serves a
  # few thousand test messages), then cached in ~/.cargo/bin.
  if ! command -v tansu >/dev/null 2>&1; then
    step "building the tansu broker (once)"
    CARGO_PROFILE_DEV_DEBUG=0 cargo install tansu --version 0.6.0 --locked --features dynostore --debug
  fi
}

# --- A throwaway PostgreSQL cluster ------------------------------------------------------------
# initdb refuses to run as root, so as root the cluster belongs to the postgres user.
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
start_postgres() {  # dir port
  [ "$(id -u)" = 0 ] && chown postgres: "$1"
  as_postgres "$(pg_bin)/initdb" -D "$1/data" -A trust -U postgres --no-sync -E UTF8 >/dev/null
  # fsync off: the tests kill boxoffice, never PostgreSQL.
  as_postgres "$(pg_bin)/pg_ctl" -D "$1/data" -w -l "$1/pg.log" -o "-k $1 -c listen_addresses=127.0.0.1 \
    -p $2 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
    start >/dev/null
}

install
[ "$mode" = install ] && { step "installed"; exit 0; }

if [ "$mode" = postgres ]; then
  dir=/tmp/boxoffice-test-postgres
  mkdir -p "$dir"
  start_postgres "$dir" 55432
  echo "PostgreSQL runs on 127.0.0.1:55432 (the tests' default TEST_POSTGRES_URL); stop it with:"
  echo "  $( [ "$(id -u)" = 0 ] && echo 'runuser -u postgres -- ')$(pg_bin)/pg_ctl -D $dir/data stop && rm -rf $dir"
  exit 0
fi

step "formatting, lints, docs"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo doc --workspace --no-deps --locked -q

pg_dir=$(mktemp -d)
pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop_postgres() {
  as_postgres "$(pg_bin)/pg_ctl" -D "$pg_dir/data" stop -m fast >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop_postgres EXIT
start_postgres "$pg_dir" "$pg_port"
export TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"

step "the suite on SQLite"
TEST_DATABASE=sqlite cargo nextest run --workspace --locked "$@"
step "the suite on PostgreSQL"
TEST_DATABASE=postgres cargo nextest run --workspace --locked "$@"
step "passed"
