#!/usr/bin/env bash
# The project's test command (README.md): installs what the end-to-end tests need, then runs every
# test target twice: under the machine's TZ (UTC on CI) and under TZ=Asia/Shanghai, the hall's zone,
# where local midnight is 16:00 UTC (src/time.rs). TZ changes no build input, so the second run
# reuses the first run's build. Safe to run repeatedly; installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v tmux >/dev/null || need+=(tmux)
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v prlimit >/dev/null || need+=(util-linux)
[ -e /usr/share/zoneinfo/Asia/Shanghai ] || need+=(tzdata)
if ((${#need[@]})); then
    if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo test --locked --all-targets "$@"
# Without tzdata, TZ=Asia/Shanghai would silently mean UTC: make sure it is really UTC+8.
[ "$(TZ=Asia/Shanghai date +%z)" = "+0800" ] || { echo "TZ=Asia/Shanghai is not +0800 here" >&2; exit 1; }
echo "--- again under TZ=Asia/Shanghai ---"
TZ=Asia/Shanghai cargo test --locked --all-targets "$@"
