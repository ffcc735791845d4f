#!/usr/bin/env bash
# tests/package/run.sh - the package tier: the install layout and `hyoka migrate` from nothing
# without a package (install.sh, ~10 s), then the Debian package in a fresh Debian 12 root,
# following docs/operations.md (deb.sh: ~2.5 min after the first run, which downloads the base
# system and PostgreSQL/nginx once; needs root).
here=$(cd "$(dirname "$0")" && pwd)
rc=0
"$here/install.sh" "$@" || rc=1
echo
timeout 840 "$here/deb.sh" || rc=1
exit $rc
