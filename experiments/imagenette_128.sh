#!/usr/bin/env bash
# Issue 23 at the thread's scale: XResNet34 in the course's block, the course's notebook-11 recipe, 128 px, 12 epochs,
# the full Imagenette split, seed 0. About 9 minutes an epoch on two free CPU cores (about 2 hours a run). Resumable:
# finished runs are skipped and a stopped run continues from its last finished epoch. Run it from a worktree pinned at
# the kernels you mean to record (each record names its kernel version; a seed's outcome flips with their last bits).
# Done so far: ReLU 87.75% (kernels of f9dd009; ReLU uses none), LightRelu(maxv=16) 81.94% (the CPU loops of a3a31a5,
# kernel version 589dc08b4363). Next: GeneralRelu, FTSwish, LiSHT, LightRelu(maxv=8), then ReLU
# and LightRelu(16) in the clean block.
set -euo pipefail
cd "$(dirname "$0")"
run() { lisht-compare imagenette --recipe nb11 --epochs 12 --size 128 --seeds 1 --out nb11_128 --verbose "$@"; }
run --arch xresnet34 --acts relu
run --arch xresnet34 --acts 'lightrelu(maxv=16)'
run --arch xresnet34 --acts 'generalrelu(leak=.1,sub=.4,maxv=6)'
run --arch xresnet34 --acts ftswish
run --arch xresnet34 --acts lisht
run --arch xresnet34 --acts 'lightrelu(maxv=8)'
run --arch xresnet34_clean --acts 'relu,lightrelu(maxv=16)'
