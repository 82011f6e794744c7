#!/usr/bin/env bash
# Export a training run's latest checkpoint into models/NAME (safetensors + config JSON) and
# write its model card (models/NAME/README.md) from what the run recorded and held-out checks.
#
#   bash scripts/ship-model.sh runs/general-grey32 grey32                       # general models
#   bash scripts/ship-model.sh runs/general-rgb32 rgb32
#   bash scripts/ship-model.sh runs/fashion-vs-mnist-retrain/fashion fashion32  # fine-tuned ones
#   bash scripts/ship-model.sh runs/fashion-vs-mnist-retrain/fashion-outlier fashion32-outlier
#
# Held-out checks (never an OOD test set): general models, the mean bits/dim on the test tiles
# of general-photos (photos never trained on) and, for grey32, on the last 2000 Fashion-MNIST
# *training* images; Fashion-MNIST models, on those 2000 images (held out of their fine-tuning) and on
# Fashion-MNIST test.
set -euo pipefail
cd "$(dirname "$0")/.."

run="${1:?usage: ship-model.sh RUN_DIR NAME}"; name="${2:?usage: ship-model.sh RUN_DIR NAME}"
case "$name" in
  grey32|rgb32) kind=general ;;
  fashion32) kind=fashion; parent=grey32 ;;
  fashion32-outlier) kind=fashion; parent=fashion32 ;;
  *) echo "unknown model name: $name (known: grey32, rgb32, fashion32, fashion32-outlier)" >&2; exit 2 ;;
esac
data="${FLOWOOD_DATA:-data}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/flowood-target}"
flowood="$CARGO_TARGET_DIR/release/flowood"
[ -x "$flowood" ] || cargo build --release -p flowood-cli --quiet
latest_checkpoint() { echo "$1/checkpoints/$(cat "$1/checkpoints/latest")"; } # RUN: its newest checkpoint folder
ckpt="$(latest_checkpoint "$run")"
out="models/$name"
mkdir -p "$out"
"$flowood" export --model "$ckpt/model.bpk" --out "$out/model.safetensors" > /dev/null
chmod 644 "$out/model.safetensors"

mean_bpd() { # DATA [FLAGS]: the model's mean bits/dim on a data set
  "$flowood" score --model "$ckpt/model.bpk" --data "$1" "${@:2}" --out "$(mktemp)" \
    | grep -o 'mean bits/dim [0-9.]*' | tail -1 | cut -d' ' -f3
}
if [ "$kind" = general ]; then
  checks="| held-out bits/dim, test tiles of unseen photos | $(mean_bpd "photos:$data/general-photos") |"
  if [ "$name" = rgb32 ]; then
    fashion_held_out="n/a (colour)"
  else
    fashion_held_out=$(mean_bpd "fashion-mnist:$data/fashion-mnist" --validation 2000)
    checks="$checks
| held-out bits/dim, last 2000 Fashion-MNIST training images | $fashion_held_out |"
  fi
else
  fashion_held_out=$(mean_bpd "fashion-mnist:$data/fashion-mnist" --validation 2000)
  fashion_test=$(mean_bpd "fashion-mnist:$data/fashion-mnist")
  checks="| held-out bits/dim, last 2000 Fashion-MNIST training images | $fashion_held_out |
| bits/dim, Fashion-MNIST test | $fashion_test |"
fi

# From the checkpoint's state and the metrics logged up to it: the step, the training settings,
# the time spent in training steps (the sum of each step's batch / images-per-second) and the
# evaluations, one per line.
# A run of `train-general.sh NAME OUT --continue` adds the shipped model's own training, recorded
# in its continued-from.json, before its steps.
mapfile -t info < <(python3 - "$run/metrics.jsonl" "$ckpt/state.json" "$run/continued-from.json" <<'PY'
import json, os, re, sys
state = json.load(open(sys.argv[2]))
step, cfg = state["step"], state["config"]
steps = str(step)
before = json.load(open(sys.argv[3])) if os.path.exists(sys.argv[3]) else None
offset = before["steps"] if before else 0
rows = [r for r in map(json.loads, open(sys.argv[1])) if r["step"] <= step]
hours = sum(cfg["batch_size"] / r["images_per_second"] for r in rows if r["kind"] == "step") / 3600
evals = ", ".join(f'{offset + r["step"]}: {r["test_bits_per_dim"]:.3f}' for r in rows if r["kind"] == "eval")
if before:
    hours += before["hours"]
    evals = ", ".join(e for e in (before["evals"], evals) if e)
    # The shipped model's own history, from its card's steps row ("N" or "N (how)").
    history = before.get("history", str(offset))
    how = history[history.index("(") + 1:history.rindex(")")] if "(" in history else f"{offset} from scratch"
    steps = (f"{offset + step} ({how}, then {step} from those weights with a fresh "
             f"optimizer: `train-general.sh --continue`)")
objective = ", ".join(f"{k} {v}" for k, v in cfg["objective"].items())
cooldown_steps = cfg.get("cooldown_steps", 0)
cooldown = f", linear cool-down to zero over the last {cooldown_steps} steps" if cooldown_steps else ""
settings = (f'batch {cfg["batch_size"]}, Adamax lr {cfg["learning_rate"]}, warm-up '
            f'{cfg["warmup_steps"]} steps{cooldown}, weight decay {cfg["weight_decay"]}, '
            f'seed {cfg["seed"]}, objective: {objective}')
if before:
    # Each stage's settings with its steps ("steps A-B: ..."; a card of one stage has no
    # label), this run's appended, or its range joined to the last stage's if they agree.
    prior = before.get("settings", settings)
    stages = [[int(a), int(b), s] for a, b, s in re.findall(r"steps (\d+)-(\d+): ([^;]+)", prior)]
    stages = stages or [[1, offset, prior]]
    if stages[-1][2] == settings:
        stages[-1][1] = offset + step
    else:
        stages.append([offset + 1, offset + step, settings])
    settings = "; ".join(f"steps {a}-{b}: {s}" for a, b, s in stages)
duration = f"{hours:.2f} h" if hours >= 1 else f"{60 * hours:.0f} min"
# The environment of the retraining commands (train-general.sh's LR and MAX_STEPS): each run's
# rate and where it stopped; a continuation's first run is the shipped model's.
# A continued-from.json written before it recorded settings gives no rate for its first run.
here = f'LR={cfg["learning_rate"]} MAX_STEPS={step} '
if before:
    before_lr = re.search(r"Adamax lr ([^,;]+)", before.get("settings", ""))
    before_rate = f"LR={before_lr.group(1)} " if before_lr else ""
    env, continued_env = f"{before_rate}MAX_STEPS={offset} ", here
else:
    env, continued_env = here, ""
print(steps, duration, settings, evals or "none", env, continued_env, sep="\n")
PY
)
steps="${info[0]}"; step_time="${info[1]}"; settings="${info[2]}"; evals="${info[3]}"
env="${info[4]}"; continued_env="${info[5]}"
sha=$(sha256sum "$out/model.safetensors" | cut -d' ' -f1)
# The machine the card names; MACHINE overrides it for a run that moved between machines.
machine="${MACHINE:-a 2-core $(lscpu | sed -n 's/^Model name: *//p' | head -1)}"
variant=$(python3 -c "print(''.join(w.capitalize() for w in '$name'.split('-')))")
architecture=$(python3 -c "import json;c=json.load(open('$out/model.json'));print(f\"{c['in_channels']}x{c['image_size']}x{c['image_size']}, L={c['levels']}, K={c['steps_per_level']}, hidden {c['hidden_channels']}, {c['coupling']} coupling, {c['prior']} prior\")")

general_summary() {
  echo "A general model: the \`p_general\` of the likelihood ratio \`log p_in(x) - log p_general(x)\` and"
  echo "the starting point for fine-tuning in-distribution models."
}
fashion_summary() {
  echo "An in-distribution model of Fashion-MNIST, fine-tuned from \`pretrained:$parent\`$([ "$name" = fashion32-outlier ] && echo " with the outlier loss against \`pretrained:grey32\`"):"
  echo "the \`p_in\` of the likelihood ratio against \`pretrained:grey32\` and of the final-scale score."
}
general_data() {
  echo "32x32 tiles of natural photographs: each photo resized so that its short side is 64, 128,"
  echo "256 and 512 pixels and cut into a grid of tiles; a fifth of the photos (seeded, by photo,"
  echo "never by tile) held out as the test split. The photos are \`scripts/fetch-data.sh\`'s"
  echo "\`general-photos\` (Debian wallpaper and puzzle packages, opencv-doc's sample photos and the"
  echo "sample photos of five PyPI wheels; each checked by eye to be a photograph, without text,"
  echo "digits, drawings, renders or calibration patterns)."
  echo
  echo "Augmentation: random contrast and brightness (factor up to 16, shift up to 3/4 of the range),"
  echo "three in four tiles shrunk by a factor in [0.25, 1] onto a black canvas, random translation"
  echo "up to 10% and horizontal flips. The photometric and zoom-out settings are those chosen for"
  echo "the 43-photo general set by the lowest bits/dim on held-out Fashion-MNIST *training* images"
  echo "(docs/experiments.md); they were not chosen again for the 98 photos$([ "$name" = rgb32 ] && echo ", nor for colour")."
}
fashion_data() {
  echo "Fashion-MNIST's training split, resized bilinearly to 32x32, but its last 2000 images (held out for the"
  echo "checks above); augmentation: random translation up to 10% (no flips)."
  if [ "$name" = fashion32-outlier ]; then
    echo "The outlier loss's general batches: tiles of the training photos of \`general-photos\`"
    echo "(see \`pretrained:grey32\`'s card), with the general model's augmentation."
  fi
}
stage_flags() { # RUN PREFIX: fashion-vs-mnist.sh's flags for the steps and cool-down of a stage's run
  python3 - "$(latest_checkpoint "$1")/state.json" "$2" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))["config"]
print(f'--{sys.argv[2]}-steps {cfg["max_steps"]} --{sys.argv[2]}-cooldown {cfg.get("cooldown_steps", 0)}')
PY
}
retrain() {
  if [ "$kind" = general ]; then
    # A continuation repeats the shipped model's own retraining commands (recorded in its
    # continued-from.json) and adds its own run.
    local before="$run/continued-from.json"
    if [ -f "$before" ] && grep -q '"retrain"' "$before"; then
      python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["retrain"])' "$before"
    else
      echo "${env}bash scripts/train-general.sh $name runs/general-$name   # continues from its checkpoint if killed"
      echo "bash scripts/ship-model.sh runs/general-$name $name        # this card and the weights"
    fi
    if [ -f "$before" ]; then
      local continued="runs/$(basename "$run")"
      echo "${continued_env}bash scripts/train-general.sh $name $continued --continue   # then on from the shipped weights"
      echo "bash scripts/ship-model.sh $continued $name"
    fi
  else
    # Every stage's length and cool-down written out, so the command keeps retraining this
    # model when the script's defaults change.
    local flags
    flags="$(stage_flags "$(dirname "$run")/fashion" fashion)"
    [ "$name" = fashion32 ] || flags="$flags $(stage_flags "$run" outlier)"
    echo "bash scripts/fashion-vs-mnist.sh --retrain $flags --out runs/fashion-vs-mnist-retrain   # both Fashion-MNIST models"
    echo "bash scripts/ship-model.sh runs/fashion-vs-mnist-retrain/${name/fashion32/fashion} $name"
  fi
}
files() {
  if [ "$kind" = general ]; then
    (cd "$data/general-photos" && sha256sum -- *)
  else
    (cd "$data/fashion-mnist" && sha256sum -- train-*)
    [ "$name" = fashion32 ] || (cd "$data/general-photos" && echo && sha256sum -- *)
  fi
}

{
  echo "# flowood pretrained model \`$name\`"
  echo
  "${kind}_summary"
  echo "Load it with \`flowood_pretrained::Pretrained::$variant.load(&device)\` or pass"
  echo "\`pretrained:$name\` wherever the CLI takes a model."
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| architecture | multiscale Glow, $architecture |"
  echo "| training steps | $steps$([ "$kind" = fashion ] && echo " of fine-tuning from \`pretrained:$parent\`") |"
  echo "| training settings | $settings |"
  echo "| time in training steps | $step_time on 2 threads of $machine, sharing the machine with other work (sum of the logged step times) |"
  echo "$checks"
  echo "| $([ "$kind" = general ] && echo test || echo held-out) bits/dim during training (step: bits/dim) | $evals |"
  echo "| model.safetensors sha256 | \`$sha\` |"
  echo
  echo "## Data"
  echo
  "${kind}_data"
  echo
  echo "## Retraining"
  echo
  echo '```sh'
  retrain
  echo '```'
  echo
  echo "## Files (sha256)"
  echo
  echo '```'
  files
  echo '```'
} > "$out/README.md"
echo "shipped $ckpt as $out (step $steps, held-out Fashion-MNIST $fashion_held_out bits/dim)"
