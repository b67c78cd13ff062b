#!/usr/bin/env bash
# Measures how `vasfem label` scales over MPI ranks: labels one fixed set of synthetic masks
# (the benchmark set, then seeded lumpy walls) with 1 rank and with 2 ranks (one core each)
# and prints masks per second and the parallel efficiency E = rate(2) / (2 · rate(1)).
# Also checks that both runs wrote the same labels.
#
#   Scripts/vasfem-scaling.sh [MASKS] [RANKS...]     # defaults: 200 masks, ranks 1 2
#   REPEATS=3 Scripts/vasfem-scaling.sh               # interleaved repeats, best of each (default 2)
#
# Parallel efficiency is rate(n) · n₀ / (n · rate(n₀)) from the best wall-clock rates; "busy" is the
# fraction of the ranks' wall time spent solving masks (Σ per-mask seconds / (n · wall)), which the
# machine's load affects much less than the rates themselves.
# Builds vasfem in release mode first. Timings depend on the machine's load: the script
# prints `uptime` before and after; compare figures taken at a low load.
set -euo pipefail
cd "$(dirname "$0")/.."
masks=${1:-200}
shift || true
ranks=("$@")
((${#ranks[@]})) || ranks=(1 2)

swift build -c release --product vasfem >&2
vasfem=$(swift build -c release --show-bin-path)/vasfem
work=$(mktemp -d /tmp/vasfem-scaling.XXXXXX)
trap 'rm -rf "$work"' EXIT

mpi=(mpirun --oversubscribe --mca plm isolated --mca btl self,vader --mca btl_vader_single_copy_mechanism none)
[[ $(id -u) -eq 0 ]] && mpi+=(--allow-run-as-root)

"$vasfem" bench --write-masks "$work/masks.h5" --count "$masks"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "load before: $(uptime | sed 's/.*load average/load average/')"
# Interleaved repeats (1 2 1 2 ...), best wall rate per rank count: the other programs on a shared
# machine slow some runs down; the fastest run is the closest to the machine's own speed.
repeats=${REPEATS:-2}
declare -A best core
for ((r = 0; r < repeats; r++)); do
    for n in "${ranks[@]}"; do
        rm -f "$work/out-$n.h5"
        start=$(date +%s.%N)
        line=$("${mpi[@]}" -n "$n" "$vasfem" label "$work/masks.h5" --out "$work/out-$n.h5" --progress-interval 1000 2>/dev/null)
        end=$(date +%s.%N)
        # Wall time includes MPI start-up and the last checkpoint; the one-core cost per mask is the run's own accounting.
        read -r rate cost <<<"$(awk -v s="$start" -v e="$end" -v m="$masks" -v line="$line" 'BEGIN {
            match(line, /[0-9.]+ ms per mask on one core/); c = substr(line, RSTART, RLENGTH); split(c, p, " ");
            printf "%.3f %.1f", m / (e - s), p[1] }')"
        utilization=$(awk -v r="$rate" -v c="$cost" -v n="$n" 'BEGIN { printf "%.2f", r * c / 1000 / n }')
        printf 'run %d, ranks %d: %.1f s wall, %s masks/s, %s ms per mask on one core, ranks busy solving %s of the time\n' \
            "$((r + 1))" "$n" "$(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')" "$rate" "$cost" "$utilization"
        if [[ -z ${best[$n]:-} ]] || awk -v a="$rate" -v b="${best[$n]}" 'BEGIN { exit !(a > b) }'; then
            best[$n]=$rate; core[$n]=$cost
        fi
    done
done
base=${best[${ranks[0]}]}
for n in "${ranks[@]}"; do
    efficiency=$(awk -v r="${best[$n]}" -v b="$base" -v n="$n" -v n0="${ranks[0]}" 'BEGIN { printf "%.2f", r * n0 / (n * b) }')
    printf 'best of %d, ranks %d: %s masks/s (%s ms per mask on one core), parallel efficiency %s\n' \
        "$repeats" "$n" "${best[$n]}" "${core[$n]}" "$efficiency"
done
echo "load after: $(uptime | sed 's/.*load average/load average/')"
# The runs must agree on every label (h5py, when present; the accounting datasets differ by design).
if /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
    /usr/bin/python3 - "$work" "${ranks[@]}" <<'PY'
import sys, h5py, numpy as np
work, ranks = sys.argv[1], sys.argv[2:]
files = [h5py.File(f"{work}/out-{n}.h5", "r") for n in ranks]
for name in ["stress", "von_mises", "displacement", "status", "newton_iterations", "messages"]:
    same = all(np.array_equal(files[0][name][()], f[name][()]) for f in files[1:])
    assert same, f"{name} differs between rank counts"
print(f"labels identical across rank counts {', '.join(ranks)} (status counts: {dict(zip(*np.unique(files[0]['status'][()], return_counts=True)))})")
PY
fi
