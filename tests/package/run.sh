#!/usr/bin/env bash
# tests/package/run.sh - the package tier: for now the install layout and `hyoka migrate` from
# nothing (install.sh). Building the .deb and installing it into a fresh Debian root is to come.
exec "$(dirname "$0")/install.sh" "$@"
