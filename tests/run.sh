#!/usr/bin/env bash
# The project's test command (README.md): installs what the end-to-end tests need, then runs every
# test target. Safe to run repeatedly; installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v tmux >/dev/null || need+=(tmux)
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v prlimit >/dev/null || need+=(util-linux)
if ((${#need[@]})); then
    if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo test --locked --all-targets "$@"
