#!/usr/bin/env bash
# The system programs `make test` needs: the grading sandbox (bubblewrap), Chromium and Node.js
# (JupyterHub's proxy) for the browser suite, PostgreSQL for the gradebook test. Installed with
# apt where we are root on Debian/Ubuntu; otherwise the one command to run is printed and the
# test run stops.
# BROWSER=0 leaves the browser suite (and Chromium) out.
set -euo pipefail
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
if [ "${BROWSER:-1}" != 0 ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium chromium-driver)
  # JupyterHub's proxy (tests/browser/test_jupyterhub.py installs it with npm into build/hub-proxy)
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
fi
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "make test needs: ${missing[*]}" >&2
echo "install them with:  sudo apt-get install -y ${missing[*]}" >&2
echo "(or leave the browser suite out with: make test BROWSER=0)" >&2
exit 1
