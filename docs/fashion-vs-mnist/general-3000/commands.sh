#!/usr/bin/env bash
# The commands that made these files (2026-11-29): the default run's general model
# (runs/zoom2) trained on from 1500 to 3000 steps on 2 threads, its held-out check, the ratio
# with the default run's Fashion-MNIST model, and a Fashion-MNIST model (and its outlier-loss
# copy) fine-tuned from it with the script's settings.
set -e
# The zoom2 general model trained on to 3000 steps (2 threads), its held-out check, the ratio
# with the zoom2 Fashion model, and a Fashion model fine-tuned from it (script settings).
F=$HOME/.cache/flowood-target/release/flowood
D=data
mkdir -p runs/long
[ -d runs/long/general ] || cp -r runs/zoom2/general runs/long/general
start=$SECONDS
$F train --data photos:$D/photos --photometric 16,0.75 --zoom-out 0.75,0.25 --preset small \
  --max-steps 3000 --batch-size 64 --eval-every 0 --checkpoint-every 100 --resume --quiet \
  --out runs/long/general > runs/long/general.log
echo "general 1500 -> 3000 steps: $((SECONDS - start)) s" >> runs/long/times.txt
$F score --model runs/long/general/model.bpk --general runs/long/general/model.bpk \
  --data fashion-mnist:$D/fashion-mnist --validation 2000 --out runs/long/validation.csv > runs/long/validation.txt
$F eval --model runs/zoom2/fashion/model.bpk --general runs/long/general/model.bpk \
  --in fashion-mnist:$D/fashion-mnist --ood mnist=mnist:$D/mnist --ood photos=photos:$D/photos \
  --out runs/long/eval-zoom2-fashion > /dev/null
start=$SECONDS
$F finetune --from runs/long/general/model.bpk --data fashion-mnist:$D/fashion-mnist \
  --max-steps 1000 --warmup 200 --batch-size 64 --eval-every 0 --checkpoint-every 100 --resume \
  --quiet --out runs/long/fashion > runs/long/fashion.log
echo "fashion 1000 steps: $((SECONDS - start)) s" >> runs/long/times.txt
$F eval --model runs/long/fashion/model.bpk --general runs/long/general/model.bpk \
  --in fashion-mnist:$D/fashion-mnist --ood mnist=mnist:$D/mnist --ood photos=photos:$D/photos \
  --out runs/long/eval-fashion > /dev/null
start=$SECONDS
$F finetune --from runs/long/fashion/model.bpk --data fashion-mnist:$D/fashion-mnist \
  --outlier-loss ratio --general runs/long/general/model.bpk --general-data photos:$D/photos \
  --general-photometric 16,0.75 --general-zoom-out 0.75,0.25 --max-steps 200 --warmup 100 \
  --batch-size 64 --eval-every 0 --checkpoint-every 100 --resume --quiet \
  --out runs/long/fashion-outlier > runs/long/fashion-outlier.log
echo "fashion-outlier 200 steps: $((SECONDS - start)) s" >> runs/long/times.txt
$F eval --model runs/long/fashion-outlier/model.bpk --general runs/long/general/model.bpk \
  --in fashion-mnist:$D/fashion-mnist --ood mnist=mnist:$D/mnist --ood photos=photos:$D/photos \
  --out runs/long/eval-fashion-outlier > /dev/null
