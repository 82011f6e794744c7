#!/usr/bin/env bash
# Train (or continue training) one of flowood's general models, at low priority, with
# checkpoints: the command each pretrained model's card names.
#
#   bash scripts/train-general.sh grey32 [OUT]   # grey 32x32, small preset (default OUT runs/general-grey32)
#   bash scripts/train-general.sh rgb32 [OUT]    # the same in colour, 3x32x32
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
exec nice -n 19 "$CARGO_TARGET_DIR/release/flowood" train --data "photos:$data/general-photos" \
  --channels "$channels" --photometric 16,0.75 --zoom-out 0.75,0.25 --preset small \
  --max-steps 60000 --checkpoint-every 250 --eval-every 500 --threads 2 --resume --quiet \
  --out "$out"
