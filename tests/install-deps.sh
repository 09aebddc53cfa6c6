#!/usr/bin/env bash
# Installs the system packages the build and the tests need (Debian): SQLCipher links against the
# system's OpenSSL, so `.ci/run` calls this before clippy builds anything; tests/run.sh calls it too.
# Installs only what is missing.
set -euo pipefail
need=()
command -v tmux >/dev/null || need+=(tmux)
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v prlimit >/dev/null || need+=(util-linux)
# tests/desk_signin.rs shows the encrypted store is unreadable to the sqlite3 CLI; SQLCipher
# (rusqlite's bundled-sqlcipher) links against the system's OpenSSL.
command -v sqlite3 >/dev/null || need+=(sqlite3)
[ -e /usr/include/openssl/evp.h ] || need+=(libssl-dev)
[ -e /usr/share/zoneinfo/Asia/Shanghai ] || need+=(tzdata)
if ((${#need[@]})); then
    if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

