#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages LatentSampling needs, when they are missing.
# Idempotent: a second run installs nothing and takes about a second.
# Needs root or sudo for apt-get; Swift 6 itself must already be installed.
set -euo pipefail

packages=(
    pkg-config
    libopenblas-dev        # CBLAS (matrix products in the tensor engine)
    liblapacke-dev         # LAPACKE (banded LU in VasFEM's Newton solver)
    libhdf5-dev            # HDF5 store (datasets, stress maps, results)
    hdf5-tools             # h5dump, for inspecting what the project writes
    libgmsh-dev            # gmsh C API (meshing vessel walls in VasFEM)
    zlib1g-dev             # zlib (gzip IDX files in Datasets, PNG masks in vasfem)
    python3-h5py           # interoperability tests against h5py
    python3                # the labeling program of Examples/CustomLabelingTool (standard library only)
    libopenmpi-dev         # MPI (vasfem label under mpirun/srun: masks spread over ranks)
    openmpi-bin            # mpirun (vasfem's MPI tests and scaling script)
    dataset-fashion-mnist  # Fashion-MNIST in MNIST's IDX format (experiments)
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "setup.sh: all ${#packages[@]} system packages present."
else
    if [[ $(id -u) -eq 0 ]]; then
        sudo=()
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo)
    else
        echo "setup.sh: missing packages: ${missing[*]}" >&2
        echo "setup.sh: installing them needs root; run as root or with passwordless sudo," >&2
        echo "          or install them yourself: apt-get install ${missing[*]}" >&2
        exit 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "setup.sh: apt-get not found; this script supports Debian and Ubuntu." >&2
        echo "          Install the equivalents of: ${missing[*]}" >&2
        exit 1
    fi
    echo "setup.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -q
    "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "setup.sh: 'swift' not found on PATH; install Swift 6 (https://swift.org/install)." >&2
    exit 1
fi
