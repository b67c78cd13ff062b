#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Fuzz/Harnesses) with AddressSanitizer, outside the package's
# normal build: each harness is compiled together with the reader sources it exercises into
# one module, so `swift build` and `swift test` never see `-sanitize=fuzzer`.
#
#   Fuzz/build.sh [HARNESS...]     # default: all of png pgm textgrid waveform idx cifar10 hdf5
#
# Executables go to .build/fuzz/<harness>.
set -euo pipefail
cd "$(dirname "$0")/.."
all=(png pgm textgrid waveform idx cifar10 hdf5)
harnesses=("${@:-${all[@]}}")
out=.build/fuzz
mkdir -p "$out"

masks=(Sources/ImageFiles/*.swift Sources/VasFEM/MaskFile.swift Sources/VasFEM/WallMask.swift)
datasets=(Sources/Datasets/*.swift)
hdf5store=(Sources/HDF5Store/*.swift)
hdf5=(-I Sources/CHDF5 -Xcc -I/usr/include/hdf5/serial -L/usr/lib/x86_64-linux-gnu/hdf5/serial)

for harness in "${harnesses[@]}"; do
    case "$harness" in
        png|pgm|textgrid) sources=("${masks[@]}"); flags=(-I Sources/CZlib) ;;
        waveform) sources=(Sources/VasFEM/PressureWaveform.swift); flags=() ;;
        idx|cifar10|hdf5) sources=("${datasets[@]}" "${hdf5store[@]}"); flags=(-I Sources/CZlib "${hdf5[@]}") ;;
        *) echo "Fuzz/build.sh: unknown harness $harness (known: ${all[*]})" >&2; exit 2 ;;
    esac
    echo "Fuzz/build.sh: $harness" >&2
    # One module per harness: imports of the package's own modules are dropped from copies.
    copies="$out/src/$harness"
    rm -rf "$copies"; mkdir -p "$copies"
    for source in "${sources[@]}"; do
        sed -E '/^import (HDF5Store|Datasets|VasFEM|LatentSampling|ImageFiles)$/d' "$source" > "$copies/$(basename "$source")"
    done
    sources=("$copies"/*.swift)
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name "Fuzz_$harness" \
        "${flags[@]}" "${sources[@]}" Fuzz/Harnesses/FuzzSupport.swift "Fuzz/Harnesses/$harness.swift" \
        -o "$out/$harness" 2> >(grep -v "Cannot export local symbol" >&2)
done
