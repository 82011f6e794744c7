#!/usr/bin/env bash
# The commands that made these files (2026-11-29). While `bash scripts/fashion-vs-mnist.sh
# --out runs/full3000` ran, a watcher copied each stage's checkpoint directory as it appeared
# (the trainer keeps only the latest one); afterwards each copy was evaluated the way the script
# evaluates its final models, against the run's general model, and the general model got the
# held-out check: its bits/dim on the last 2000 Fashion-MNIST *training* images.
set -e
F=$HOME/.cache/flowood-target/release/flowood
D=${FLOWOOD_DATA:-data}
R=runs/full3000
S=runs/full3000-snap
# during the run: for each STAGE:STEP wanted, once $R/STAGE/checkpoints/step-STEP exists,
#   cp -r $R/STAGE/checkpoints/step-STEP $S/STAGE-STEP
# (fashion 1000 and 2000, fashion-outlier 200 and 400)
$F score --model $R/general/model.bpk --general $R/general/model.bpk \
  --data fashion-mnist:$D/fashion-mnist --validation 2000 --out $S/validation.csv > $S/validation.txt
for m in fashion-00001000 fashion-00002000 fashion-outlier-00000200 fashion-outlier-00000400; do
  $F eval --model $S/$m/model.bpk --general $R/general/model.bpk \
    --in fashion-mnist:$D/fashion-mnist --ood mnist=mnist:$D/mnist --ood photos=photos:$D/photos \
    --complexity --out $S/eval-$m > /dev/null
done
