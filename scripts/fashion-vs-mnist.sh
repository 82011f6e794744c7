#!/usr/bin/env bash
# The paper's experiment on real data: Fashion-MNIST (in-distribution) vs MNIST and tiles of
# unseen natural photos (OOD), grey 32x32, on the CPU.
#
#   bash scripts/fashion-vs-mnist.sh                 # evaluate the shipped models (about 2 min)
#   bash scripts/fashion-vs-mnist.sh --check-readme  # ... and fail unless README.md's table equals it
#   bash scripts/fashion-vs-mnist.sh --retrain       # fine-tune both in-distribution models from the
#                                                    # shipped general model first (28 + 6 min on a
#                                                    # 2-core Zen 4; the shipped ones were fine-tuned
#                                                    # longer: their cards name the flags)
#   bash scripts/fashion-vs-mnist.sh --from-scratch  # train the general model too (small preset)
#   bash scripts/fashion-vs-mnist.sh --quick         # --from-scratch with tiny models (what CI runs)
#   bash scripts/fashion-vs-mnist.sh --out DIR       # where models and reports go (default runs/…)
#   --fashion-steps N | --outlier-steps N            # fine-tuning steps (default 6500 and 600)
#   --fashion-cooldown N | --outlier-cooldown N      # each fine-tuning's learning rate falls
#                                                    # linearly to zero over its last N steps
#   --photometric none | --zoom-out none             # (--from-scratch) general tiles without them
#
# The three models (shipped as pretrained:grey32, pretrained:fashion32, pretrained:fashion32-outlier):
#   1. general model on photo tiles (the stand-in for 80M Tiny Images), with random contrast and
#      brightness (--photometric, default 16,0.75: well-exposed photos hold few saturated areas or
#      hard edges) and three in four tiles shrunk by 0.25..1 onto a black canvas (--zoom-out,
#      default 0.75,0.25: Fashion-MNIST's objects sit on black, photo tiles never do); both chosen
#      by the bits/dim of held-out Fashion-MNIST *training* images (docs/experiments.md);
#   2. in-distribution model, fine-tuned from the general one on Fashion-MNIST train, the last
#      2000 training images held out (--validation: its reported bits/dim is theirs);
#   3. a copy of it fine-tuned with the outlier loss (Eq. 2) on general batches;
#   (both fine-tuning stages warm the learning rate up linearly: a fresh Adamax at full rate
#   first moves every weight by about the learning rate, which threw the general model's
#   5.3 bits/dim on Fashion-MNIST up to 20 in three steps and lost what it had learned).
# Then `flowood eval` of (2) and (3) on Fashion-MNIST test vs MNIST test and the photo tiles'
# test split (photos no model trained on), with every scorer. Each training stage is skipped if
# its model exists and resumed from its checkpoint if it was killed. OUT/results.md holds the
# headline tables (README.md's), OUT/report.md everything.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=shipped
check_readme=0
fashion_steps_flag=""
outlier_steps_flag=""
fashion_cooldown_flag=""
outlier_cooldown_flag=""
out=""
photometric="16,0.75"
zoom_out="0.75,0.25"
while [ $# -gt 0 ]; do
  case "$1" in
    --retrain) mode=retrain ;;
    --from-scratch) mode=scratch ;;
    --quick) mode=quick ;;
    --check-readme) check_readme=1 ;;
    --out) out="$2"; shift ;;
    --fashion-steps) fashion_steps_flag="$2"; shift ;;
    --outlier-steps) outlier_steps_flag="$2"; shift ;;
    --fashion-cooldown) fashion_cooldown_flag="$2"; shift ;;
    --outlier-cooldown) outlier_cooldown_flag="$2"; shift ;;
    --photometric) photometric="$2"; shift ;;
    --zoom-out) zoom_out="$2"; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
out="${out:-runs/fashion-vs-mnist-$mode}"
if [ "$check_readme" = 1 ] && [ "$mode" != shipped ]; then
  echo "--check-readme compares the shipped models' table: use it without --$mode" >&2; exit 2
fi

data="${FLOWOOD_DATA:-data}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/flowood-target}"
bash scripts/fetch-data.sh "$data" >/dev/null
cargo build --release -p flowood-cli --quiet
flowood="$CARGO_TARGET_DIR/release/flowood"
mkdir -p "$out"
: > "$out/times.txt"

if [ "$mode" = quick ]; then
  model=(--levels 3 --steps-per-level 2 --hidden 16)
  general_steps=80; fashion_steps=80; fashion_cooldown=0; outlier_steps=40; outlier_cooldown=0; batch=32; warmup=20; outlier_warmup=10
else
  model=(--preset small)
  general_steps=3000; fashion_steps=6500; fashion_cooldown=1625; outlier_steps=600; outlier_cooldown=150; batch=64; warmup=200; outlier_warmup=100
fi
fashion_steps="${fashion_steps_flag:-$fashion_steps}"; outlier_steps="${outlier_steps_flag:-$outlier_steps}"
fashion_cooldown="${fashion_cooldown_flag:-$fashion_cooldown}"
outlier_cooldown="${outlier_cooldown_flag:-$outlier_cooldown}"
general_aug=(); outlier_aug=()
if [ "$photometric" != none ]; then
  general_aug=(--photometric "$photometric"); outlier_aug=(--general-photometric "$photometric")
fi
if [ "$zoom_out" != none ]; then
  general_aug+=(--zoom-out "$zoom_out"); outlier_aug+=(--general-zoom-out "$zoom_out")
fi
common=(--batch-size "$batch" --eval-every 0 --checkpoint-every 100 --resume)
stage() { # NAME: run the rest of the arguments unless NAME/model.bpk exists
  local name="$1"; shift
  if [ -f "$out/$name/model.bpk" ]; then echo "== $name: done before"; return; fi
  echo "== $name"
  local start=$SECONDS
  "$flowood" "$@" --out "$out/$name" "${common[@]}" | tee "$out/$name.log"
  echo "$name: $((SECONDS - start)) s" >> "$out/times.txt"
}

photos="$data/general-photos"
if [ "$mode" = shipped ]; then
  general=pretrained:grey32; fashion=pretrained:fashion32; outlier=pretrained:fashion32-outlier
else
  if [ "$mode" = retrain ]; then
    general=pretrained:grey32
  else
    general="$out/general/model.bpk"
    stage general train --data "photos:$photos" "${general_aug[@]}" "${model[@]}" \
      --max-steps "$general_steps"
  fi
  fashion="$out/fashion/model.bpk"; outlier="$out/fashion-outlier/model.bpk"
  stage fashion finetune --from "$general" --data "fashion-mnist:$data/fashion-mnist" \
    --validation 2000 --max-steps "$fashion_steps" --warmup "$warmup" --cooldown "$fashion_cooldown"
  stage fashion-outlier finetune --from "$fashion" --data "fashion-mnist:$data/fashion-mnist" \
    --validation 2000 --outlier-loss ratio --general "$general" --general-data "photos:$photos" \
    "${outlier_aug[@]}" --max-steps "$outlier_steps" --warmup "$outlier_warmup" \
    --cooldown "$outlier_cooldown"
fi

evaluate() { # NAME MODEL
  echo "== eval $1"
  local start=$SECONDS
  "$flowood" eval --model "$2" --general "$general" \
    --in "fashion-mnist:$data/fashion-mnist" --ood "mnist=mnist:$data/mnist" \
    --ood "photos=photos:$photos" --complexity --out "$out/eval-$1" > /dev/null
  echo "eval $1: $((SECONDS - start)) s" >> "$out/times.txt"
}
evaluate fashion "$fashion"
evaluate fashion-outlier "$outlier"

names=(fashion fashion-outlier)
[ "$mode" = shipped ] && names=(pretrained:fashion32 pretrained:fashion32-outlier)
python3 scripts/results_table.py "${names[0]}=$out/eval-fashion" "${names[1]}=$out/eval-fashion-outlier" \
  > "$out/results.md"
{
  echo "# Fashion-MNIST vs MNIST and photo tiles ($mode run)"
  echo
  echo "Models: general $general, in-distribution $fashion, with the outlier loss $outlier."
  echo
  cat "$out/results.md"
  echo
  echo "## In-distribution model, every scorer"
  echo
  cat "$out/eval-fashion/eval.md"
  echo
  echo "## After fine-tuning with the outlier loss, every scorer"
  echo
  cat "$out/eval-fashion-outlier/eval.md"
  echo
  echo "Times:"; sed 's/^/- /' "$out/times.txt"
} > "$out/report.md"
cat "$out/results.md"
echo
echo "report: $out/report.md"

if [ "$check_readme" = 1 ]; then
  readme_table=$(sed -n '/<!-- results:begin -->/,/<!-- results:end -->/p' README.md | sed '1d;$d')
  if ! diff <(echo "$readme_table") "$out/results.md"; then
    echo "README.md's results table differs from the shipped models' evaluation above" >&2
    exit 1
  fi
  echo "README.md's results table equals the shipped models' evaluation"
fi
