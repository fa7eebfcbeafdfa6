#!/usr/bin/env bash
# First step of `pnpm test`: the machine tools the tests start for real. Present: nothing
# happens. Missing: installed when running as root (Debian/Ubuntu), otherwise stop at once
# with the exact command, instead of failing minutes later inside a test.
set -euo pipefail

# One line per tool: <Debian package> <commands or absolute paths, any one of which will do>.
# Add a line for a new tool.
requirements=(
  "etcd-server etcd"                  # store-etcd and control-plane tests start real etcd
  "bind9       named /usr/sbin/named" # routing's DNS tests start a real BIND 9
  "chromium    /usr/bin/chromium"     # the dashboard test drives Debian's chromium (playwright-core, no download)
  "haproxy     haproxy /usr/sbin/haproxy" # routing's HAProxy adapter and the no-drop e2e drive a real haproxy
)

present() {
  local c
  for c in "$@"; do
    if [[ $c == /* ]]; then [[ -x $c ]] && return 0; else command -v "$c" >/dev/null 2>&1 && return 0; fi
  done
  return 1
}

missing=()
for line in "${requirements[@]}"; do
  read -r -a fields <<<"$line"
  present "${fields[@]:1}" || missing+=("${fields[0]}")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

command="apt-get update && apt-get install -y ${missing[*]}"
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "The tests need ${missing[*]}, which this machine lacks. Install them, then run the tests again:" >&2
  echo "  sudo sh -c '$command'" >&2
  exit 1
fi

echo "test prerequisites: installing ${missing[*]}"
# Keep the packages' daemons from starting: the tests run their own on free ports.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1
fi
trap '[[ $own_policy -eq 1 ]] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
