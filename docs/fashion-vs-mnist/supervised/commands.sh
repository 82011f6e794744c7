#!/usr/bin/env bash
# The commands that made these files (2026-12-01, 2-core machine shared with other work,
# `nice -n 10`, both cores: --threads defaults to 2). Each run fine-tunes pretrained:fashion32
# with the supervised variant on Fashion-MNIST's labels, the last 2000 training images held
# out, then evaluates like scripts/fashion-vs-mnist.sh evaluates the shipped models.
set -e
F=$HOME/.cache/flowood-target/release/flowood
D=${FLOWOOD_DATA:-data}
R=runs/supervised
# 1. the method's loss: NLL under the true class + 6000 * wrong-class term (T 1000) against
#    pretrained:grey32 (wall 1321 s, of which 1298 s in the 600 steps)
nice -n 10 $F finetune --from pretrained:fashion32 --data fashion-mnist:$D/fashion-mnist \
  --validation 2000 --supervised --general pretrained:grey32 \
  --max-steps 600 --warmup 100 --eval-every 0 --checkpoint-every 50 --resume --quiet \
  --out $R/wrong-class
# 2. the class-conditional likelihood alone (--wrong-class-lambda 0; wall 1010 s, 991 s in the
#    500 steps)
nice -n 10 $F finetune --from pretrained:fashion32 --data fashion-mnist:$D/fashion-mnist \
  --validation 2000 --supervised --wrong-class-lambda 0 --general pretrained:grey32 \
  --max-steps 500 --warmup 100 --eval-every 0 --checkpoint-every 50 --resume --quiet \
  --out $R/no-wrong-class
for run in wrong-class no-wrong-class; do
  cp $R/$run/metrics.jsonl docs/fashion-vs-mnist/supervised/metrics-$run.jsonl
  nice -n 10 $F eval --model $R/$run/model.bpk --general pretrained:grey32 \
    --in fashion-mnist:$D/fashion-mnist --ood mnist=mnist:$D/mnist \
    --ood photos=photos:$D/general-photos --complexity --out $R/eval-$run > /dev/null
  # kept here: eval.md, eval.json, eval.csv, roc-mnist.png
done
