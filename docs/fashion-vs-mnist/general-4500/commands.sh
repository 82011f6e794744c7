#!/usr/bin/env bash
# The commands that made these files (2026-11-29): the 3000-step general model of
# ../general-3000 trained on to 4500 steps on 2 threads (copied to runs/long4500/general first),
# its held-out check, and the ratio with the Fashion-MNIST model fine-tuned from the 3000-step one.
set -e
F=$HOME/.cache/flowood-target/release/flowood
D=data
start=$SECONDS
$F train --data photos:$D/photos --photometric 16,0.75 --zoom-out 0.75,0.25 --preset small \
  --max-steps 4500 --batch-size 64 --eval-every 0 --checkpoint-every 100 --resume --quiet \
  --out runs/long4500/general > runs/long4500/general.log
echo "general 3000 -> 4500 steps: $((SECONDS - start)) s" >> runs/long4500/times.txt
$F score --model runs/long4500/general/model.bpk --general runs/long4500/general/model.bpk \
  --data fashion-mnist:$D/fashion-mnist --validation 2000 --out runs/long4500/validation.csv > runs/long4500/validation.txt
$F eval --model runs/long/fashion/model.bpk --general runs/long4500/general/model.bpk \
  --in fashion-mnist:$D/fashion-mnist --ood mnist=mnist:$D/mnist --ood photos=photos:$D/photos \
  --out runs/long4500/eval-fashion > /dev/null
