#!/usr/bin/env bash
# demo.sh - the README's demo: installs what is missing, builds, starts the whole stack with the
# demo data on http://127.0.0.1:8080 and stays in the foreground until Ctrl-C, then stops it.
#
#   scripts/demo.sh          start (state in var/, port $HYOKA_PORT or 8080)
#   scripts/demo.sh stop     stop a demo left running (e.g. after the terminal was closed)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source scripts/stack.sh

dir=$root/var
port=${HYOKA_PORT:-8080}

if [ "${1:-}" = stop ]; then
    stack_down "$dir"
    log "demo stopped"
    exit 0
fi
[ $# -eq 0 ] || die "usage: scripts/demo.sh [stop]"

if [ -f "$dir/hyoka-fcgi.pid" ] && kill -0 "$(cat "$dir/hyoka-fcgi.pid")" 2>/dev/null; then
    die "a demo is already running (scripts/demo.sh stop)"
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is in use; choose another with HYOKA_PORT=NNNN scripts/demo.sh"
fi

scripts/deps.sh
export HYOKA_BUILD=${HYOKA_BUILD:-$root/build}
cmake -S . -B "$HYOKA_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$HYOKA_BUILD" -j "$(nproc 2>/dev/null || echo 2)" --target hyoka hyoka-fcgi >/dev/null

# A fresh database each time: the demo data is imported and evaluated again.
stack_down "$dir"
rm -rf "$dir"
trap 'echo; stack_down "$dir"; log "demo stopped"' EXIT
trap 'exit 0' INT TERM
stack_up "$dir" "$port" demo

cat <<MSG

  hyoka is running:   $HYOKA_URL/
  API:                $HYOKA_URL/api/v1/summary
  write token:        $HYOKA_TOKEN   (POST /api/v1/evaluations, Authorization: Bearer ...)
  logs:               $dir/hyoka-fcgi.log, $dir/nginx-logs/
  reload rules:       kill -HUP \$(cat $dir/hyoka-fcgi.pid)

  Ctrl-C stops everything.
MSG
while kill -0 "$(cat "$dir/hyoka-fcgi.pid")" 2>/dev/null; do
    sleep 1
done
log "hyoka-fcgi exited; see $dir/hyoka-fcgi.log"
