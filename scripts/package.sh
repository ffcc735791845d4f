#!/usr/bin/env bash
# package.sh - builds the Debian package of hyoka: dpkg-buildpackage (debhelper, debian/) on a copy
# of the working tree, then lintian. The .deb lands in build-deb/ (or the folder given).
#
#   scripts/package.sh [OUTDIR]       about 1-2 minutes; needs scripts/deps.sh's packages
#
# The copy keeps the tree clean (dpkg-buildpackage writes debian/hyoka/, obj-*/ and files beside
# the source) and packages exactly what is in the working tree, committed or not.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib.sh"
out=${1:-$root/build-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# One version: CMake's project VERSION is what --version prints; the package must carry it.
cmake_version=$(sed -n 's/^project(hyoka VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
deb_version=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
[ "${deb_version%-*}" = "$cmake_version" ] ||
    die "debian/changelog says $deb_version, CMakeLists.txt says $cmake_version: make them agree"

work=$(mktemp -d /tmp/hyoka-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$work/hyoka-$cmake_version
mkdir "$src"
# Tracked and new files of the working tree (not build/ or anything .gitignore'd).
(cd "$root" && git ls-files -z --cached --others --exclude-standard) |
    (cd "$root" && xargs -0 cp --parents -t "$src" 2>/dev/null || true)
[ -f "$src/debian/rules" ] || die "copying the tree failed"

log "dpkg-buildpackage in $src"
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1) ||
    { tail -n 60 "$work/build.log" >&2; die "dpkg-buildpackage failed (log above)"; }
deb=$(ls "$work"/hyoka_"${deb_version}"_*.deb)
cp "$deb" "$out/"
deb=$out/$(basename "$deb")
log "built $deb"

# Lintian, down to its informational and pedantic tags: every tag left is overridden with its
# reason in debian/hyoka.lintian-overrides; a new one fails the build.
if command -v lintian >/dev/null; then
    lintian -I --pedantic --fail-on error,warning,info,pedantic "$deb" "$work"/*.changes ||
        die "lintian found problems (above)"
    log "lintian: clean (-I --pedantic; $(grep -c '^hyoka:' "$root/debian/hyoka.lintian-overrides") tags overridden in debian/hyoka.lintian-overrides)"
fi
echo "$deb"
