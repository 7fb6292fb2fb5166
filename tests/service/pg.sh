#!/usr/bin/env bash
# A throwaway PostgreSQL server for the service tests (Debian package: postgresql).
#
#   pg.sh start DIR PORT   initdb a cluster in DIR, start it on 127.0.0.1:PORT (socket in DIR),
#                          print its SQLAlchemy URL; exit 3 when the binaries are missing
#   pg.sh stop DIR         stop it (immediate mode); the caller removes DIR
#
# PostgreSQL refuses to run as root, so as root the server runs as `nobody`. Trust authentication
# on 127.0.0.1 only, fsync off: a test database, not a real one.
set -euo pipefail

find_bin() {
  command -v "$1" 2>/dev/null && return
  ls /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1
}
INITDB=$(find_bin initdb || true)
PG_CTL=$(find_bin pg_ctl || true)
if [ -z "$INITDB" ] || [ -z "$PG_CTL" ]; then
  echo "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql" >&2
  exit 3
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

cmd=${1:?usage: pg.sh start DIR PORT | stop DIR}
dir=${2:?missing DIR}
case "$cmd" in
  start)
    port=${3:?missing PORT}
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown nobody: "$dir"; fi
    chmod 700 "$dir"
    as_owner "$INITDB" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$PG_CTL" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=100" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_owner "$PG_CTL" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null
    ;;
  *)
    echo "usage: pg.sh start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
