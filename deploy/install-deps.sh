#!/usr/bin/env bash
# Install the Debian packages iapt needs, only those that are missing.
# Runs apt-get as root (directly, or through sudo when available).
#   install-deps.sh           install what is missing
#   install-deps.sh --check   only report what is missing (exit 1), never apt-get
# Idempotent; one dpkg-query and no network when everything is present.
set -eu
check_only=0
[ "${1:-}" = "--check" ] && check_only=1

packages=(
    build-essential pkg-config
    libzmq3-dev libprotobuf-c-dev protobuf-c-compiler libsodium-dev liblmdb-dev libjansson-dev
    python3 python3-zmq python3-nacl python3-protobuf
    groff-base
    libplplot-dev chromium
)

missing=()
while read -r p status; do
    [ "$status" = "install ok installed" ] || missing+=("$p")
done < <(for p in "${packages[@]}"; do
    printf '%s %s\n' "$p" "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
done)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ $check_only -eq 1 ]; then
    echo "iapt: missing packages: ${missing[*]}" >&2
    echo "iapt: install them first: make deps (or apt-get install ${missing[*]})" >&2
    exit 1
fi

echo "iapt: installing missing packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "iapt: need root to install: ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
