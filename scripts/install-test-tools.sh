#!/bin/sh
# Makes sure the reference tools the oracle tests run against are present: rpmbuild and createrepo_c
# build the rpm fixtures, native libsolv (python3-solv) and dose-builddebcheck are the oracles;
# chromium runs the web UI's end-to-end tests (test/web/).
# A no-op when everything is there; installs through apt only as root and unless RIPPLE_NO_INSTALL is set.
set -e
packages="rpm createrepo-c python3-solv dose-builddebcheck chromium openssl"

missing() {
  command -v rpmbuild >/dev/null 2>&1 || return 0
  command -v createrepo_c >/dev/null 2>&1 || return 0
  command -v dose-builddebcheck >/dev/null 2>&1 || return 0
  # The koji tests make a CA and certificates for the client-certificate login.
  command -v openssl >/dev/null 2>&1 || return 0
  [ -x /usr/bin/chromium ] || return 0
  # The solv module belongs to Debian's python, not to whatever python3 comes first on PATH.
  /usr/bin/python3 -c 'import solv' >/dev/null 2>&1 || return 0
  return 1
}

missing || exit 0

if [ "$(id -u)" != 0 ] || [ -n "${RIPPLE_NO_INSTALL:-}" ]; then
  echo "install-test-tools: missing test tools; install the Debian packages: $packages" >&2
  exit 1
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y $packages
if missing; then
  echo "install-test-tools: still missing a tool after installing $packages" >&2
  exit 1
fi
