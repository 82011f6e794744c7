#!/usr/bin/env bash
# flowood beside PyTorch and onnxruntime in one run: flowood's `cargo bench --bench
# glow_throughput` (flex backend), then the PyTorch twin of the same Glow (training and scoring)
# and its ONNX export run by onnxruntime (scoring), the same configurations, batch and threads;
# prints one table with the ratios (benches/pytorch/README.md).
#
#   bash scripts/bench-vs-pytorch.sh                        # small and paper, 2 threads, 10 batches
#   bash scripts/bench-vs-pytorch.sh --configs small --steps 3 --threads 2
#   bash scripts/bench-vs-pytorch.sh --rounds 3     # flowood and the twins alternating, 3 times
#
# With --rounds N the whole measurement runs N times, flowood's and the twins' cells taking
# turns, and a last table gives every figure's median over the rounds, then each round's ratios:
# on a shared or virtual machine the speed drifts by 10-20% within minutes, and alternating
# rounds let the drift fall on both sides alike.
#
# Needs: a Python with torch, onnx, onnxruntime, safetensors and numpy (PYTHON, default python3;
# see benches/pytorch/README.md). Run it on an otherwise idle machine: the ratio in one run
# is what counts.
set -euo pipefail
cd "$(dirname "$0")/.."

configs=small,paper
threads=2
steps=10
rounds=1
while [ $# -gt 0 ]; do
    case "$1" in
        --configs) configs="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --steps) steps="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        *) echo "usage: $0 [--configs small,paper] [--threads N] [--steps N] [--rounds N]" >&2
           exit 2 ;;
    esac
done
case "$configs" in
    small) bench_config=small ;;
    paper) bench_config=paper ;;
    small,paper | paper,small) bench_config=all ;;
    *) echo "--configs must be small, paper or small,paper, got '$configs'" >&2; exit 2 ;;
esac
if ! [[ "$rounds" =~ ^[1-9][0-9]*$ ]]; then
    echo "--rounds must be a positive integer, got '$rounds'" >&2; exit 2
fi
python="${PYTHON:-python3}"
if ! "$python" -c "import torch, onnx, onnxruntime, safetensors, numpy" 2>/dev/null; then
    echo "$python lacks torch, onnx, onnxruntime, safetensors or numpy: see benches/pytorch/README.md" >&2
    exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for round in $(seq "$rounds"); do
    table="$work/flowood-$round.txt"
    echo "== round $round of $rounds, flowood: cargo bench --bench glow_throughput ($configs, $threads threads, $steps batches)"
    FLOWOOD_BENCH_CONFIG="$bench_config" FLOWOOD_BENCH_THREADS="$threads" \
        FLOWOOD_BENCH_STEPS="$steps" FLOWOOD_BENCH_BACKENDS=flex \
        cargo bench --bench glow_throughput | tee "$table"
    if grep -q "failed" "$table"; then
        echo "flowood's benchmark failed (see above)" >&2
        exit 1
    fi
    echo "== round $round of $rounds, PyTorch and onnxruntime twins"
    "$python" benches/pytorch/bench.py --flowood-table "$table" --configs "$configs" \
        --threads "$threads" --steps "$steps" --device cpu --record "$work/round-$(printf %03d "$round").json"
done
if [ "$rounds" -gt 1 ]; then
    echo "== all $rounds rounds"
    "$python" benches/pytorch/bench.py --combine "$work"/round-*.json --threads "$threads" \
        --steps "$steps" --device cpu
fi
