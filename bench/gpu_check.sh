#!/usr/bin/env bash
# One GPU check: device tests compiled on CUDA, a compute-sanitizer subset, the GPU
# benchmarks, and a Markdown table. Installs nothing from the network.
#
# Usage: bench/gpu_check.sh [OUTPUT_DIR]   (default: $OUT, else ./gpu-check-results)
# Run from the repository root of a checkout on a machine with a CUDA GPU and the
# test/bench dependencies already installed. Budget: under 6 minutes in all; each step
# has its own timeout, and a failing step does not stop the others (the exit status
# is that of the first failing step).
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUTDIR="$(mkdir -p "${1:-${OUT:-$SRC/gpu-check-results}}" && cd "${1:-${OUT:-$SRC/gpu-check-results}}" && pwd)"
LOG="$OUTDIR/gpu_check.log"
PYTHON="${PYTHON:-python}"
BUDGET="${GPU_CHECK_BUDGET:-340}"  # seconds for all steps together
STATUS=0
: > "$LOG"

step() {  # step NAME TIMEOUT_SECONDS COMMAND...: run, log, remember the first failure
    local name="$1" limit="$2"; shift 2
    local left=$((BUDGET - SECONDS))
    if [ "$left" -lt 15 ]; then
        echo "== $name: skipped, the ${BUDGET}s budget is spent" | tee -a "$LOG"
        [ "$STATUS" -ne 0 ] || STATUS=124
        return 0
    fi
    [ "$limit" -le "$left" ] || limit=$left
    echo "== $name (limit ${limit}s): $*" | tee -a "$LOG"
    local start=$SECONDS rc=0
    timeout --kill-after=10 "$limit" "$@" >> "$LOG" 2>&1 || rc=$?
    echo "== $name: exit $rc after $((SECONDS - start)) s" | tee -a "$LOG"
    if [ "$rc" -ne 0 ] && [ "$STATUS" -eq 0 ]; then STATUS=$rc; fi
    return 0
}

# Third-party deprecation warnings must not fail the run (pytest has filterwarnings=error).
PYTEST_OPTS=(-c "$SRC/pyproject.toml" --rootdir "$SRC" -p no:cacheprovider
             -W "ignore::DeprecationWarning" -W "ignore::FutureWarning"
             -W "ignore::PendingDeprecationWarning" -W "ignore::UserWarning")

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader \
    > "$OUTDIR/gpu.txt" 2>> "$LOG" || echo "nvidia-smi unavailable" > "$OUTDIR/gpu.txt"
"$PYTHON" -c "import torch, triton; print('torch', torch.__version__, 'cuda', torch.version.cuda, \
'triton', triton.__version__, 'device', torch.cuda.get_device_name(0))" >> "$OUTDIR/gpu.txt" 2>> "$LOG" || true
cat "$OUTDIR/gpu.txt" | tee -a "$LOG"

# Build and install the package (no network: no build isolation, no dependencies).
step install 150 "$PYTHON" -m pip install --no-build-isolation --no-deps --no-index -q "$SRC"

# Everything below runs from outside the source tree, so the installed package is tested.
WORK="$(mktemp -d)"
cd "$WORK"
export SEGMETRICS_TEST_DEVICE=cuda
unset SEGMETRICS_GPU_SIMULATE TRITON_INTERPRET || true
mapfile -t TESTS < <(ls "$SRC"/tests/test_gpu_*.py 2>/dev/null)
mapfile -t BENCHES < <(ls "$SRC"/bench/test_bench_gpu*.py 2>/dev/null)

if [ "${#TESTS[@]}" -gt 0 ]; then
    step tests 150 "$PYTHON" -m pytest -q "${PYTEST_OPTS[@]}" "${TESTS[@]}" \
        --junitxml="$OUTDIR/gpu_tests.xml"
    if command -v compute-sanitizer > /dev/null; then
        # A bounded subset: the fixed-input tests, not the hypothesis sweeps.
        step sanitizer 60 compute-sanitizer --tool memcheck --error-exitcode 1 \
            "$PYTHON" -m pytest -q -x "${PYTEST_OPTS[@]}" "${TESTS[@]}" \
            -k "not equal_the_host and not simulated"
    else
        echo "== sanitizer: compute-sanitizer not found, skipped" | tee -a "$LOG"
    fi
fi

JSONS=()
for bench in "${BENCHES[@]}"; do
    name="$(basename "$bench" .py)"
    step "$name" 150 "$PYTHON" -m pytest -q "${PYTEST_OPTS[@]}" "$bench" --benchmark-only \
        --benchmark-min-rounds=20 --benchmark-max-time=0.5 --benchmark-warmup=on \
        --benchmark-json="$OUTDIR/$name.json"
    if [ -s "$OUTDIR/$name.json" ]; then JSONS+=("$OUTDIR/$name.json"); fi
done

if [ "${#JSONS[@]}" -gt 0 ]; then
    { echo "## GPU benchmarks"; echo; sed 's/^/    /' "$OUTDIR/gpu.txt"; echo
      "$PYTHON" "$SRC/bench/gpu_report.py" "${JSONS[@]}"; } > "$OUTDIR/gpu_benchmarks.md" \
        2>> "$LOG" || { [ "$STATUS" -ne 0 ] || STATUS=1; }
    echo "table: $OUTDIR/gpu_benchmarks.md" | tee -a "$LOG"
fi
rm -rf "$WORK"
echo "gpu_check: exit $STATUS (log: $LOG)" | tee -a "$LOG"
exit "$STATUS"
