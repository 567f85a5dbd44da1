#!/usr/bin/env bash
# Starts the local PostgreSQL and Redis villagebot needs, installing them
# from Debian's packages when they are missing. Safe to run again.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

need_install=()
command -v pg_ctlcluster >/dev/null 2>&1 || need_install+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need_install+=(redis-server)
# A CJK font, so that /qr cards print Chinese names (optional).
[ -e /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] || need_install+=(fonts-droid-fallback)
# Chromium, for the staff console's browser tests (internal/console; they
# skip with a loud message when it is missing).
command -v chromium >/dev/null 2>&1 || need_install+=(chromium)
if [ ${#need_install[@]} -gt 0 ]; then
  echo "installing ${need_install[*]}"
  as_root apt-get update -qq || true
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_install[@]}" >/dev/null; then
    # The font and the browser are niceties; the databases are not.
    for p in "${need_install[@]}"; do
      [ "$p" = fonts-droid-fallback ] && continue
      if [ "$p" = chromium ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null ||
          echo "chromium could not be installed: the console's browser tests will skip" >&2
        continue
      fi
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null
    done
  fi
fi

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! pg_up; then
  echo "starting PostgreSQL"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
fi

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; }
if ! redis_up; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
fi

for _ in $(seq 1 60); do
  if pg_up && redis_up; then break; fi
  sleep 0.5
done
pg_up || { echo "PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }
redis_up || { echo "Redis is not answering on 127.0.0.1:6379" >&2; exit 1; }

# Tests connect as postgres over TCP without a password (trust), as on the
# development machines. A fresh Debian install asks for one: allow local
# TCP connections of the postgres user without it.
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  hba=$(as_root su postgres -c "psql -Atc 'show hba_file'")
  as_root sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
  as_root su postgres -c "psql -Atc 'select pg_reload_conf()'" >/dev/null
fi
