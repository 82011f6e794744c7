#!/usr/bin/env bash
# Final-scale AUROC against model size and training time, on the CPU: Fashion-MNIST models
# trained from scratch on Fashion-MNIST alone (no general model, like the PyTorch anchor in
# docs/experiments.md: grey 32x32, L=3, K=8, hidden 64, 33 minutes on 2 cores) at three sizes, each for
# about 30 minutes on 2 cores, scored at points along the way.
#
#   bash scripts/model-size.sh [--out DIR]     # about 90 minutes on 2 cores
#
# Sizes (name, flags, steps at which the model is scored; the last step count is what fits
# in about 30 minutes on 2 cores, measured):
#   k8-h64    --steps-per-level 8  --hidden 64  --threads 1   1000 2000 3500
#             (the anchor's architecture, on one thread: it was run before --threads existed)
#   k8-h128   --steps-per-level 8  --hidden 128               1000 2000 3500   (small preset)
#   k16-h128  --steps-per-level 16 --hidden 128               850 1500
# Each model is trained to each step count in turn with `--resume` (the same weights as one
# uninterrupted run), copied to OUT/NAME/at-STEPS, and `flowood eval` scores Fashion-MNIST test
# against MNIST test and the tiles of the test photos. Every stage already done is skipped.
# The table (test bits/dim, AUROC of log p and of the final-scale contribution lp3, mean lp_i)
# goes to OUT/report.md and is printed.
set -euo pipefail
cd "$(dirname "$0")/.."

out="runs/model-size"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/flowood-target}"
data="${FLOWOOD_DATA:-data}"
scripts/fetch-data.sh "$data"
cargo build --release -p flowood-cli --quiet
flowood="$CARGO_TARGET_DIR/release/flowood"
mkdir -p "$out"

# Train NAME (architecture flags in ARCH) to STEPS and score that model, unless done before.
point() { # NAME STEPS
  local name="$1" steps="$2" dir="$out/$1"
  if [ ! -f "$dir/at-$steps/model.bpk" ]; then
    local start=$SECONDS
    "$flowood" train --data "fashion-mnist:$data/fashion-mnist" --preset small "${arch[@]}" \
      --max-steps "$steps" --eval-every 0 --eval-batches 1 --checkpoint-every 100 --resume \
      --quiet --out "$dir" > "$dir.log"
    echo "$name to $steps steps: $((SECONDS - start)) s" >> "$out/times.txt"
    mkdir -p "$dir/at-$steps"
    cp "$dir/model.bpk" "$dir/model.json" "$dir/at-$steps/"
  fi
  [ -f "$dir/eval-$steps/eval.csv" ] || "$flowood" eval --model "$dir/at-$steps/model.bpk" \
    --in "fashion-mnist:$data/fashion-mnist" --ood "mnist=mnist:$data/mnist" \
    --ood "photos=photos:$data/photos" --out "$dir/eval-$steps" > /dev/null
}

arch=(--steps-per-level 8 --hidden 64 --threads 1)
for s in 1000 2000 3500; do point k8-h64 "$s"; done
arch=(--steps-per-level 8 --hidden 128); for s in 1000 2000 3500; do point k8-h128 "$s"; done
arch=(--steps-per-level 16 --hidden 128); for s in 850 1500; do point k16-h128 "$s"; done

# One table row per scored model: AUROC x100 from eval.csv, bits/dim and lp_i from eval.md.
auroc() { # EVAL_DIR OOD SCORER
  awk -F, -v o="$2" -v s="$3" '$1 == o && $2 == s { printf "%.1f", 100 * $3 }' "$1/eval.csv"
}
{
  echo "# Fashion-MNIST from scratch: AUROC x100 against model size and training steps"
  echo
  echo "| model | steps | test bits/dim | mean lp1 (Fashion test) | mean lp2 | mean lp3 | MNIST: log p | MNIST: final scale lp3 | photos: log p | photos: final scale lp3 |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for name in k8-h64 k8-h128 k16-h128; do
    for eval in $(ls -d "$out/$name"/eval-* | sort -V); do
      steps=${eval##*-}
      means=$(awk -F'|' '$2 ~ /in-distribution/ { printf "%.2f | %.1f | %.1f | %.1f", $4, $5, $6, $7 }' "$eval/eval.md")
      echo "| $name | $steps | $means | $(auroc "$eval" mnist log_p) | $(auroc "$eval" mnist final_scale) | $(auroc "$eval" photos log_p) | $(auroc "$eval" photos final_scale) |"
    done
  done
  echo
  echo "Training times (2 cores):"; sed 's/^/- /' "$out/times.txt"
} > "$out/report.md"
cat "$out/report.md"
