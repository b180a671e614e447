#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine: system packages, Redis/Postgres when none
# answers, the virtualenv and the pinned Python packages. Usage: bootstrap.sh [run|test]
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

say() { printf '\033[1m==>\033[0m %s\n' "$*"; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    say "apt-get update"; $SUDO apt-get update -qq; apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- system packages: FFmpeg, Chromium, fonts ----------------------------------------
missing=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
[ -x "$CHROMIUM_PATH" ] || missing+=(chromium)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
[ -d /usr/share/fonts/truetype/liberation ] || missing+=(fonts-liberation)
command -v pg_isready >/dev/null 2>&1 || missing+=(postgresql-client)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
[ "${#missing[@]}" -eq 0 ] || apt_install "${missing[@]}"

# --- Redis: start one on loopback only when none answers at REDIS_URL -----------------
redis_host=$(echo "$REDIS_URL" | sed -E 's#^redis://([^@/]*@)?([^:/]+).*#\2#')
redis_port=$(echo "$REDIS_URL" | sed -nE 's#^redis://([^@/]*@)?[^:/]+:([0-9]+).*#\2#p'); redis_port=${redis_port:-6379}
if ! redis-cli -h "$redis_host" -p "$redis_port" ping >/dev/null 2>&1; then
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  say "starting redis-server on 127.0.0.1:$redis_port"
  mkdir -p /tmp/waveframe-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" \
    --appendonly no --dir /tmp/waveframe-redis --logfile /tmp/waveframe-redis/redis.log
  for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

# --- Postgres (tests only): start one on loopback when none answers -------------------
if [ "$mode" = "test" ] && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql; fi
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  conf="/etc/postgresql/$ver/main"
  # Trust on loopback only: this is a throw-away test cluster on a developer machine.
  if ! grep -q "waveframe-test" "$conf/pg_hba.conf"; then
    { echo "# waveframe-test: trust loopback"; echo "host all all 127.0.0.1/32 trust";
      echo "host all all ::1/128 trust"; cat "$conf/pg_hba.conf"; } > /tmp/pg_hba.conf
    $SUDO cp /tmp/pg_hba.conf "$conf/pg_hba.conf"
  fi
  say "starting PostgreSQL $ver on 127.0.0.1:5432"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  for _ in $(seq 1 100); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.1; done
fi

# --- Python virtualenv with the pinned requirements ----------------------------------
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
