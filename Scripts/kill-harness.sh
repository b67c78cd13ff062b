#!/usr/bin/env bash
# Kill harness: SIGKILLs `latent-sampling experiment` at random moments, reruns it, and
# checks that every rerun resumes without losing a completed round or the trained VAE and
# ends with the same table as an uninterrupted run.
#
#   Scripts/kill-harness.sh                  # the full harness: 50 kills (about 5 minutes, debug build)
#   Scripts/kill-harness.sh --kills 10       # the short version the test suite runs
#
# Options:
#   --kills N        SIGKILLs to deliver in all (default 50)
#   --per-trial K    kills per trial before the trial's run is let finish (default 5)
#   --seed S         seed of the kill moments (default 1)
#   --bin PATH       the latent-sampling executable (default: build it with `swift build`)
#   --work DIR       scratch folder (default: a new temporary folder, removed at the end)
#   --pause SECONDS  HDF5STORE_CHECKPOINT_PAUSE for killed attempts: widens each checkpoint
#                    so that kills also land between writing a snapshot and renaming it (default 0.1)
#   --release        build and run the release build (with no --bin)
#
# Every trial starts from no results file. Its attempts are killed after a random delay
# drawn uniformly from [0.05 s, 1.1 × the uninterrupted run's duration]; an attempt that
# finishes before its kill ends the trial early. The last attempt of a trial runs to the
# end. Checks, each a failure (exit 1) when violated:
#   - two uninterrupted runs print the same table (the experiment is deterministic);
#   - every trial ends with exactly that table;
#   - no round printed as completed by a killed attempt is run again by a later attempt
#     ("rounds lost" beyond the round in progress: must be 0);
#   - once a killed attempt got past VAE training, no later attempt trains it again.
# It prints the kills by phase (where the last progress line put them), the rounds lost,
# and the checkpoint overhead the uninterrupted run reported.
set -euo pipefail
cd "$(dirname "$0")/.."

kills=50 per_trial=5 seed=1 bin="" work="" pause=0.1 configuration=debug
while (($#)); do
    case "$1" in
        --kills) kills=$2; shift 2 ;;
        --per-trial) per_trial=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --bin) bin=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --pause) pause=$2; shift 2 ;;
        --release) configuration=release; shift ;;
        -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "kill-harness: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ $kills =~ ^[1-9][0-9]*$ && $per_trial =~ ^[1-9][0-9]*$ && $seed =~ ^[0-9]+$ ]] \
    || { echo "kill-harness: --kills and --per-trial must be positive integers, --seed an integer" >&2; exit 2; }

if [[ -z $bin ]]; then
    swift build -c "$configuration" --product latent-sampling >&2
    bin="$(swift build -c "$configuration" --show-bin-path)/latent-sampling"
fi
[[ -x $bin ]] || { echo "kill-harness: no executable at $bin" >&2; exit 2; }
if [[ -z $work ]]; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/kill-harness.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"

# A tiny experiment: both strategies, 2 seeds × 3 rounds, the light LeNet-5 and a small VAE
# (about 5 s in a debug build: loading Fashion-MNIST, VAE training, then about 0.25 s per round).
experiment=(experiment --seeds 2 --rounds 3 --pool-size 200 --test-size 100 --vae-epochs 1 --epochs 1
            --initial-size 10 --increment 10 --threads 2 --network lenet5 --vae-hidden 128,64)
results="$work/results.h5"

table() { sed -n '/^round  labels/,/^(/p' "$1"; }
now() { date +%s.%N; }

# 1. The reference: two uninterrupted runs.
for name in reference repeat; do
    rm -f "$results"
    start=$(now)
    "$bin" "${experiment[@]}" --out "$results" > "$work/$name.log" 2>&1 \
        || { echo "kill-harness: the uninterrupted run failed:" >&2; cat "$work/$name.log" >&2; exit 1; }
    [[ $name == reference ]] && duration=$(awk -v a="$(now)" -v b="$start" 'BEGIN { print a - b }')
done
table "$work/reference.log" > "$work/reference.table"
[[ -s $work/reference.table ]] || { echo "kill-harness: no table in the reference run" >&2; cat "$work/reference.log" >&2; exit 1; }
if ! table "$work/repeat.log" | cmp -s - "$work/reference.table"; then
    echo "kill-harness: two uninterrupted runs printed different tables (not deterministic):" >&2
    diff <(table "$work/repeat.log") "$work/reference.table" >&2 || true
    exit 1
fi
overhead=$(grep '^Checkpoints:' "$work/reference.log" || true)
printf 'kill-harness: uninterrupted run %.1f s, deterministic; %s\n' "$duration" "$overhead"

# 2. Trials of killed attempts.
RANDOM=$seed
delivered=0 trials=0 lost=0 vae_lost=0 failures=0
declare -A phases=()
round_lines() { grep -E '^  [a-z-]+ seed [0-9]+ round [0-9]+:' "$1" | sed 's/:.*//' || true; }
while ((delivered < kills)); do
    trials=$((trials + 1))
    rm -f "$results" "$results".*
    attempts=()
    for ((k = 0; k < per_trial && delivered < kills; k++)); do
        log="$work/trial$trials.attempt$k.log"
        # A delay in [0.05, 1.1 × duration] seconds, from bash's seeded RANDOM.
        delay=$(awk -v r="$((RANDOM * 32768 + RANDOM))" -v d="$duration" 'BEGIN { printf "%.3f", 0.05 + r / 1073741824 * 1.1 * d }')
        HDF5STORE_CHECKPOINT_PAUSE=$pause "$bin" "${experiment[@]}" --out "$results" > "$log" 2>&1 &
        pid=$!
        sleep "$delay"
        if kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
            delivered=$((delivered + 1))
            attempts+=("$log")
            last=$(grep -v '^$' "$log" | tail -n 1 || true)
            if [[ -e $results.publishing ]]; then phase="checkpoint write"
            elif [[ -z $last || $last == Loading* || $last == Resuming* ]]; then phase="loading, opening"
            elif [[ $last == *"VAE"* ]]; then phase="VAE training"
            elif [[ $last == Embedding* ]]; then phase="embedding the pool"
            else phase="rounds (training, sampling)"
            fi
            phases[$phase]=$((${phases[$phase]:-0} + 1))
        else
            wait "$pid" || { echo "kill-harness: an attempt failed:" >&2; cat "$log" >&2; exit 1; }
            attempts+=("$log")
            break
        fi
    done
    final="$work/trial$trials.final.log"
    "$bin" "${experiment[@]}" --out "$results" > "$final" 2>&1 \
        || { echo "kill-harness: trial $trials: the rerun failed:" >&2; cat "$final" >&2; failures=$((failures + 1)); continue; }
    attempts+=("$final")
    if ! table "$final" | cmp -s - "$work/reference.table"; then
        echo "kill-harness: trial $trials ended with another table:" >&2
        diff <(table "$final") "$work/reference.table" >&2 || true
        failures=$((failures + 1))
    fi
    # Rounds a killed attempt completed must never run again; nor must a saved VAE be retrained.
    for ((i = 0; i < ${#attempts[@]}; i++)); do
        for ((j = i + 1; j < ${#attempts[@]}; j++)); do
            again=$(comm -12 <(round_lines "${attempts[i]}" | sort) <(round_lines "${attempts[j]}" | sort) | wc -l)
            if ((again > 0)); then
                echo "kill-harness: trial $trials: $again round(s) of attempt $i ran again in attempt $j" >&2
                lost=$((lost + again))
            fi
            if grep -qE '^(Embedding|Running)' "${attempts[i]}" && grep -q '^Training the VAE' "${attempts[j]}"; then
                echo "kill-harness: trial $trials: the VAE saved by attempt $i was trained again in attempt $j" >&2
                vae_lost=$((vae_lost + 1))
            fi
        done
    done
done

echo "kill-harness: $delivered SIGKILLs in $trials trials; every rerun resumed: $((trials - failures))/$trials tables identical to the uninterrupted run"
for phase in "${!phases[@]}"; do printf '  killed during %-30s %3d\n' "$phase:" "${phases[$phase]}"; done | sort
echo "kill-harness: completed rounds lost: $lost; trained VAEs lost: $vae_lost"
if ((failures > 0 || lost > 0 || vae_lost > 0)); then exit 1; fi
