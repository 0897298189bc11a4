#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build, test and run. Idempotent; needs root.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git curl ca-certificates
  libboost1.81-dev libboost-filesystem1.81-dev libboost-system1.81-dev
  libpoco-dev nlohmann-json3-dev libspdlog-dev libarchive-dev libzstd-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  abigail-tools binutils busybox-static tar gzip zstd tzdata
  libpq-dev postgresql libssh-dev openssh-client libyaml-cpp-dev libssl-dev
  runc crun libcgroup-dev iproute2 uidmap iptables
  containerd containernetworking-plugins libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc golang-github-containerd-containerd-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "error: missing packages (${missing[*]}); run as root: sudo $0" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
