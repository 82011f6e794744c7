#!/usr/bin/env bash
# flowood beside PyTorch and onnxruntime in one run: flowood's `cargo bench --bench
# glow_throughput` (flex backend), then the PyTorch twin of the same Glow (training and scoring)
# and its ONNX export run by onnxruntime (scoring), the same configurations, batch and threads;
# prints one table with the ratios (benches/pytorch/README.md).
#
#   bash scripts/bench-vs-pytorch.sh                        # small and paper, 2 threads, 10 batches
#   bash scripts/bench-vs-pytorch.sh --configs small --steps 3 --threads 2
#
# Needs: a Python with torch, onnx, onnxruntime, safetensors and numpy (PYTHON, default python3;
# see benches/pytorch/README.md). Run it on an otherwise idle machine: the ratio in one run
# is what counts.
set -euo pipefail
cd "$(dirname "$0")/.."

configs=small,paper
threads=2
steps=10
while [ $# -gt 0 ]; do
    case "$1" in
        --configs) configs="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --steps) steps="$2"; shift 2 ;;
        *) echo "usage: $0 [--configs small,paper] [--threads N] [--steps N]" >&2; exit 2 ;;
    esac
done
case "$configs" in
    small) bench_config=small ;;
    paper) bench_config=paper ;;
    small,paper | paper,small) bench_config=all ;;
    *) echo "--configs must be small, paper or small,paper, got '$configs'" >&2; exit 2 ;;
esac
python="${PYTHON:-python3}"
if ! "$python" -c "import torch, onnx, onnxruntime, safetensors, numpy" 2>/dev/null; then
    echo "$python lacks torch, onnx, onnxruntime, safetensors or numpy: see benches/pytorch/README.md" >&2
    exit 1
fi

table="$(mktemp)"
trap 'rm -f "$table"' EXIT
echo "== flowood: cargo bench --bench glow_throughput ($configs, $threads threads, $steps batches)"
FLOWOOD_BENCH_CONFIG="$bench_config" FLOWOOD_BENCH_THREADS="$threads" \
    FLOWOOD_BENCH_STEPS="$steps" FLOWOOD_BENCH_BACKENDS=flex \
    cargo bench --bench glow_throughput | tee "$table"
if grep -q "failed" "$table"; then
    echo "flowood's benchmark failed (see above)" >&2
    exit 1
fi
echo "== PyTorch and onnxruntime twins"
"$python" benches/pytorch/bench.py --flowood-table "$table" --configs "$configs" \
    --threads "$threads" --steps "$steps" --device cpu
