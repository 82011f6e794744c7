#!/usr/bin/env bash
# GPU checks on a machine with an NVIDIA GPU: builds flowood with the GPU backends, runs the
# cross-backend suite (tests/backends.rs) on each of them against the CPU, then the GPU
# benchmarks (small grey and paper configurations). Meant to finish within 10 minutes on a
# 16-core machine with a warm cargo registry.
#
#   bash scripts/gpu-check.sh                       # CUDA and WGPU (Vulkan on the NVIDIA card)
#   bash scripts/gpu-check.sh --backends wgpu       # WGPU only (no CUDA build, see docs/backends.md)
#   bash scripts/gpu-check.sh --steps 10 --out DIR  # more timed batches; logs into DIR
#
# Needs: a Rust toolchain, the NVIDIA driver (CUDA) or a Vulkan driver (WGPU), Fashion-MNIST
# under $FLOWOOD_DATA or ./data (fetched by scripts/fetch-data.sh if missing), and, for CUDA,
# internet access during the build (Burn's cuda feature downloads an LLVM bundle).
set -euo pipefail
cd "$(dirname "$0")/.."

backends=cuda,wgpu
steps=5
out=gpu-check
while [ $# -gt 0 ]; do
    case "$1" in
        --backends) backends="$2"; shift 2 ;;
        --steps) steps="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        *) echo "usage: $0 [--backends cuda,wgpu] [--steps N] [--out DIR]" >&2; exit 2 ;;
    esac
done
mkdir -p "$out"
export FLOWOOD_DATA="${FLOWOOD_DATA:-$PWD/data}"
export CARGO_TERM_COLOR=never
if [ ! -d "$FLOWOOD_DATA/fashion-mnist" ]; then
    bash scripts/fetch-data.sh "$FLOWOOD_DATA"
fi

stage() { echo "== [$(date +%T), ${SECONDS}s] $*"; }

stage "GPUs"
nvidia-smi -L 2>&1 || echo "nvidia-smi not found"

stage "build (features $backends)"
cargo build --release --features "$backends" --test backends --bench glow_throughput 2>&1 |
    tail -n 3

for backend in ${backends//,/ }; do
    stage "cross-backend suite on $backend"
    FLOWOOD_TEST_DEVICE="$backend" cargo test --release --features "$backends" \
        --test backends 2>&1 | tee "$out/backends-$backend.log" | grep -E "^test |test result"
done

stage "benchmarks on $backends"
FLOWOOD_BENCH_CONFIG=all FLOWOOD_BENCH_STEPS="$steps" FLOWOOD_BENCH_BACKENDS="$backends" \
    cargo bench --features "$backends" --bench glow_throughput 2>/dev/null |
    tee "$out/bench.md"
stage "done: logs and the benchmark table in $out/"
