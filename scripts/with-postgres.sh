#!/usr/bin/env bash
# Run a command with DATABASE_URL pointing at a throwaway PostgreSQL server on 127.0.0.1.
# The cluster lives in a temporary folder, on a free port, and is stopped and removed on exit;
# Debian's own cluster and port 5432 are left alone. Needs Debian's `postgresql` package.
#   scripts/with-postgres.sh make test
set -euo pipefail

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pgbin" ]; then
  echo "with-postgres: PostgreSQL server binaries not found; apt-get install postgresql" >&2
  exit 2
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/readinggroup-pg.XXXXXX")
port=${PG_TEST_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
as_owner=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$dir"
  as_owner=(runuser -u postgres --)
fi

stop() {
  "${as_owner[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

"${as_owner[@]}" "$pgbin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >/dev/null
"${as_owner[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off" start >/dev/null
for _ in $(seq 1 60); do
  "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port" && break
  sleep 0.5
done
"$pgbin/pg_isready" -h 127.0.0.1 -p "$port"
"$pgbin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE readinggroup LOGIN CREATEDB PASSWORD 'readinggroup'" \
  -c "CREATE DATABASE readinggroup OWNER readinggroup"

export DATABASE_URL="postgres://readinggroup:readinggroup@127.0.0.1:$port/readinggroup"
echo "with-postgres: PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
"$@"
