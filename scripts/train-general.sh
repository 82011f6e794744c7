#!/usr/bin/env bash
# Train (or continue training) one of flowood's general models, at low priority, with
# checkpoints: the command each pretrained model's card names.
#
#   bash scripts/train-general.sh grey32 [OUT]   # grey 32x32, small preset (default OUT runs/general-grey32)
#   bash scripts/train-general.sh rgb32 [OUT]    # the same in colour, 3x32x32
#   bash scripts/train-general.sh rgb32 OUT --continue   # train the shipped weights on
#   MAX_STEPS=27500 bash scripts/train-general.sh grey32 OUT   # stop at step 27500
#   LR=0.00005 bash scripts/train-general.sh grey32 OUT --continue   # on at a tenth of the rate
#
# MAX_STEPS (default 60000) is the step the run stops at (with --continue, counted from the
# shipped weights); LR (default the library's, 0.0005) the Adamax learning rate.
#
# --continue starts from the shipped model (`flowood finetune --from pretrained:NAME`, a fresh
# optimizer warmed up over 100 steps, seed 1 for a new order of batches) when its training
# checkpoint is not at hand, and records the shipped model's steps, time, evaluations and
# retraining commands in OUT/continued-from.json, which ship-model.sh adds to the card.
#
# Runs until --max-steps or until killed; run it again to continue from the latest checkpoint
# (--resume). `bash scripts/ship-model.sh OUT NAME` then exports the latest checkpoint into
# models/NAME with its model card. The photo set is fetch-data.sh's general-photos (98 photos).
set -euo pipefail
cd "$(dirname "$0")/.."

name="${1:?usage: train-general.sh grey32 [OUT]}"
out="${2:-runs/general-$name}"
data="${FLOWOOD_DATA:-data}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/flowood-target}"
case "$name" in
  grey32) channels=1 ;;
  rgb32) channels=3 ;;
  *) echo "unknown general model: $name (known: grey32, rgb32)" >&2; exit 2 ;;
esac
bash scripts/fetch-data.sh "$data" >/dev/null
cargo build --release -p flowood-cli --quiet
# Augmentation: random contrast/brightness (16, 0.75) and zoom-out (0.75, 0.25), the settings
# chosen on held-out Fashion-MNIST *training* images (docs/experiments); translation and
# horizontal flips as for every photo set.
augment=(--photometric 16,0.75 --zoom-out 0.75,0.25)
lr=(); [ -z "${LR:-}" ] || lr=(--lr "$LR")
run=("${lr[@]}" --max-steps "${MAX_STEPS:-60000}" --checkpoint-every 250 --eval-every 500 --threads 2 --resume --out "$out")
if [ "${3:-}" = --continue ]; then
  mkdir -p "$out"
  [ -f "$out/continued-from.json" ] || python3 - "models/$name/README.md" > "$out/continued-from.json" <<'PY'
import json, re, sys
rows = dict(re.findall(r"^\| ([^|]+?) \| (.+?) \|$", open(sys.argv[1]).read(), re.M))
evals = next(v for k, v in rows.items() if k.endswith("bits/dim during training (step: bits/dim)"))
print(json.dumps({
    "steps": int(re.match(r"\d+", rows["training steps"]).group()),
    "history": rows["training steps"],
    "hours": float(re.match(r"[\d.]+", rows["time in training steps"]).group())
    * (1 if rows["time in training steps"].split()[1] == "h" else 1 / 60),
    "evals": evals,
    "settings": rows["training settings"],
    "retrain": re.search(r"## Retraining\n\n```sh\n(.*?)\n```", open(sys.argv[1]).read(), re.S).group(1),
}))
PY
  exec nice -n 19 "$CARGO_TARGET_DIR/release/flowood" finetune --from "pretrained:$name" \
    --data "photos:$data/general-photos" "${augment[@]}" --warmup 100 --seed 1 "${run[@]}"
fi
exec nice -n 19 "$CARGO_TARGET_DIR/release/flowood" train --data "photos:$data/general-photos" \
  --channels "$channels" "${augment[@]}" --preset small "${run[@]}"
