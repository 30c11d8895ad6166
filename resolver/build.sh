#!/bin/sh
# Builds libsolv (Debian's source package) plus Ripple's glue to WebAssembly in resolver/build/.
# Runs before every `npm test` / `npm run demo`, so the up-to-date case must cost nothing:
# a stamp holds a hash of this script and the glue sources.
# Environment: RIPPLE_NO_INSTALL=1 forbids installing missing tools with apt-get.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out="$here/build"
stamp="$out/.stamp"

inputs_hash() {
  cat "$here/build.sh" "$here"/glue/*.c | sha256sum | cut -d' ' -f1
}

if [ -f "$out/libsolv.cjs" ] && [ -f "$out/libsolv.wasm" ] && [ -f "$stamp" ] \
  && [ "$(cat "$stamp")" = "$(inputs_hash)" ]; then
  exit 0
fi

step() { echo "resolver/build.sh: $*"; }
started=$(date +%s)

# --- prerequisites -------------------------------------------------------------------------
missing=""
command -v emcc >/dev/null 2>&1 || missing="$missing emscripten"
command -v dpkg-source >/dev/null 2>&1 || missing="$missing dpkg-dev"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && [ -z "${RIPPLE_NO_INSTALL:-}" ]; then
    step "installing$missing"
    # An empty package list means apt-get has never been updated on this machine.
    if [ -z "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v -e '^lock$' -e '^partial$' -e '^auxfiles$')" ]; then
      apt-get update -q
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
  else
    echo "resolver/build.sh: missing prerequisites; install them with: apt-get install$missing" >&2
    exit 1
  fi
fi

# --- libsolv sources (cached) --------------------------------------------------------------
src="$out/libsolv-src"
if [ ! -f "$src/src/CMakeLists.txt" ]; then
  step "fetching Debian source package libsolv"
  apt="$out/apt"
  rm -rf "$apt" "$src"
  mkdir -p "$apt/parts" "$apt/lists/partial" "$apt/download"
  # deb-src entries are usually disabled: derive them from the system's own binary entries.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    sed '/^Types:/{ /deb-src/! s/^Types:\(.*[[:space:]]\)deb\([[:space:]]\|$\)/Types:\1deb deb-src\2/; }' "$f" >"$apt/parts/$(basename "$f")"
  done
  if [ -f /etc/apt/sources.list ]; then
    sed -n 's/^[[:space:]]*deb[[:space:]]\(.*\)$/deb \1\ndeb-src \1/p' /etc/apt/sources.list >"$apt/parts/system.list"
  fi
  set -- -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$apt/parts" -o Dir::State::Lists="$apt/lists"
  apt-get -q "$@" update >"$apt/update.log" 2>&1 || { cat "$apt/update.log" >&2; exit 1; }
  (cd "$apt/download" && apt-get -q "$@" source --download-only libsolv >"$apt/source.log" 2>&1) \
    || { cat "$apt/source.log" >&2; exit 1; }
  step "unpacking $(basename "$apt"/download/libsolv_*.dsc)"
  (cd "$apt/download" && dpkg-source -x libsolv_*.dsc "$src") >"$apt/unpack.log" 2>&1 || { cat "$apt/unpack.log" >&2; exit 1; }
fi

# --- solvversion.h -------------------------------------------------------------------------
gen="$out/gen"
mkdir -p "$gen"
version_of() { sed -n "s/^SET(LIBSOLV_$1 \"\\([0-9]*\\)\")/\\1/p" "$src/VERSION.cmake"; }
major=$(version_of MAJOR)
minor=$(version_of MINOR)
patch=$(version_of PATCH)
sed -e "s/@VERSION@/$major.$minor.$patch/; s/@LIBSOLV_MAJOR@/$major/; s/@LIBSOLV_MINOR@/$minor/; s/@LIBSOLV_PATCH@/$patch/" \
  -e 's/^#cmakedefine \(LIBSOLV_FEATURE_\(COMPLEX_DEPS\|MULTI_SEMANTICS\)\)$/#define \1 1/' \
  -e 's/^#cmakedefine .*$//' "$src/src/solvversion.h.in" >"$gen/solvversion.h"

# --- compile (glue functions export themselves with EMSCRIPTEN_KEEPALIVE) ---------------------
export NODE_PATH=/usr/share/nodejs  # emscripten's JS optimizer needs acorn from here
cflags="-O2 -DLIBSOLV_INTERNAL=1 -DHAVE_STRCHRNUL=1 -DENABLE_COMPLEX_DEPS=1 -DMULTI_SEMANTICS=1 -I$gen -I$src/src"
obj="$out/obj"
# rules.c sorts through the glue's ripple_sort_rules, which merges new package rules into the ones
# a kept solver already sorted instead of sorting everything again (glue/ripple-glue.c).
rulesflags="-Dsolv_sort=ripple_sort_rules"
# libsolv's objects only change with the flags or the sources, so keep them across glue edits.
if [ "$(cat "$obj/.flags" 2>/dev/null)" != "$cflags $rulesflags" ]; then
  rm -rf "$obj"
  mkdir -p "$obj"
  srcs=$(sed -n '/^SET (libsolv_SRCS/,/)/p' "$src/src/CMakeLists.txt" | sed 's/SET (libsolv_SRCS//; s/)//')
  step "compiling libsolv $major.$minor.$patch core ($(echo $srcs | wc -w) files)"
  # shellcheck disable=SC2086
  printf '%s\n' $srcs | xargs -P "$(nproc)" -I{} sh -c "emcc $cflags \$([ {} = rules.c ] && echo '$rulesflags') -c '$src/src/{}' -o '$obj/{}.o'"
  echo "$cflags $rulesflags" >"$obj/.flags"
fi

step "compiling glue and linking"
rm -f "$out/libsolv.cjs" "$out/libsolv.wasm" "$stamp"
emcc $cflags "$here"/glue/*.c "$obj"/*.o -o "$out/libsolv.cjs" \
  -sMODULARIZE=1 -sEXPORT_NAME=createLibsolv -sALLOW_MEMORY_GROWTH=1 -sENVIRONMENT=node -sNODEJS_CATCH_EXIT=0 -sNODEJS_CATCH_REJECTION=0 -sFILESYSTEM=0 \
  -sEXPORTED_FUNCTIONS=_malloc,_free -sEXPORTED_RUNTIME_METHODS=UTF8ToString

inputs_hash >"$stamp"
step "done in $(( $(date +%s) - started )) s: $(wc -c <"$out/libsolv.wasm") bytes of wasm"
