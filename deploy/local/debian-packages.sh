#!/usr/bin/env bash
# Makes sure the Debian packages of deploy/local/debian-packages.txt are installed, before
# `make run` and `make test` need them: nothing to do when they are; as root, installs the
# missing ones with apt-get; otherwise prints the one command to run and fails.
#
# Pure bash apart from dpkg-query, id and apt-get, so tests/ops/test_debian_packages.py can fake
# exactly those three. DEBIAN_PACKAGES_FILE reads another list; DEBIAN_PACKAGES_SIMULATE=1
# makes apt-get only simulate the installation (`apt-get --simulate`).
set -euo pipefail

list="${DEBIAN_PACKAGES_FILE:-${BASH_SOURCE[0]%/*}/debian-packages.txt}"
packages=()
while read -r line || [ -n "$line" ]; do
  line="${line%%#*}"
  read -r name _ <<<"$line" || true
  if [ -n "${name:-}" ]; then packages+=("$name"); fi
done <"$list"

if ! command -v dpkg-query >/dev/null; then
  echo "Not a Debian system (no dpkg-query): make sure these are installed: ${packages[*]}" >&2
  exit 0
fi

missing=()
for package in "${packages[@]}"; do
  status="$(dpkg-query --show --showformat='${db:Status-Status}' "$package" 2>/dev/null || true)"
  if [ "$status" != "installed" ]; then missing+=("$package"); fi
done
if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi

if [ "$(id -u)" = "0" ]; then
  echo "Installing the Debian packages CodeLedger needs: ${missing[*]}"
  simulate=()
  if [ "${DEBIAN_PACKAGES_SIMULATE:-}" = "1" ]; then simulate=(--simulate); fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${simulate[@]}" "${missing[@]}"
  exit 0
fi

echo "CodeLedger needs these Debian packages, which are not installed: ${missing[*]}" >&2
echo "Install them (as root), then run make again:" >&2
echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
exit 1
