#!/usr/bin/env bash
# Issue 29: the thread's table at its own scale on two CPU cores, in bf16 with statistics on every 10th batch
# (benchmarks/fast_path.py: 1.97x the float32 epoch on an AMD EPYC, about 35 minutes a 12-epoch run on free cores).
# XResNet34, the course's notebook-11 recipe, 128 px, 12 epochs, the full Imagenette split; fastai's PIL pipeline
# (the tensor pipeline was 0.90x PIL on the CPU). Resumable: finished runs are skipped, a stopped run continues from its
# last finished epoch. Run it from a worktree pinned at the commit you mean to record.
set -euo pipefail
cd "$(dirname "$0")"
run() { lisht-compare imagenette --recipe nb11 --epochs 12 --size 128 --precision bf16 --stats-every 10 \
          --out nb11_128_bf16 --verbose "$@"; }
# (a) agreement with the float32 runs (ReLU 87.75%, LightRelu(maxv=16) 81.94%): the course block, seed 0
run --arch xresnet34 --acts 'relu,lightrelu(maxv=16)' --seeds 1
# (b) the question a user of lisht_learner asks: each in its default block (ReLU: course, LightRelu(16): clean), 6 seeds,
# one seed pair at a time (seeds 0..n-1 for n = 2..6), so that the pairs land together
for n in 2 3 4 5 6; do run --acts 'relu,lightrelu(maxv=16)' --seeds "$n"; done
# (c) the thread's other rows, seed 0, course block; then more seeds of (a)'s pair
run --arch xresnet34 --acts 'generalrelu(leak=.1,sub=.4,maxv=6),ftswish,lisht,lightrelu(maxv=8)' --seeds 1
run --arch xresnet34 --acts 'lightrelu(maxv=16)' --seeds 3
run --arch xresnet34_clean --acts relu --seeds 3
