#!/usr/bin/env bash
# The Imagenette experiments behind nbs/11_imagenette.ipynb, as commands. Resumable (finished runs are skipped), and
# ordered so that a partial set is already useful: seed 0 of ReLU, LightRelu(maxv=16), GeneralRelu and FTSwish in both
# blocks, then second seeds of ReLU and LightRelu(maxv=16) in the clean block, then LightRelu(maxv=8) and raw LiSHT,
# then the remaining second seeds.
# The CPU configuration that ranks (issue 14): the full train and valid sets at 64 px, 5 epochs, XResNet34, the course's
# notebook-11 recipe (Adam eps 1e-6, one cycle pct_start 0.5, lr 1e-2). About 12-18 minutes a run on two CPU cores:
# more than one session; commit experiments/nb11_full/results.jsonl as it grows.
set -euo pipefail
cd "$(dirname "$0")"
run() { lisht-compare imagenette --recipe nb11 --epochs 5 --size 64 --out nb11_full "$@"; }
for arch in xresnet34 xresnet34_clean; do run --acts 'relu,lightrelu(maxv=16)' --arch $arch --seeds 1; done
for arch in xresnet34 xresnet34_clean; do run --acts 'generalrelu(leak=.1,sub=.4,maxv=6),ftswish' --arch $arch --seeds 1; done
run --acts 'relu,lightrelu(maxv=16)' --arch xresnet34_clean --seeds 2
for arch in xresnet34 xresnet34_clean; do run --acts 'lightrelu(maxv=8),lisht' --arch $arch --seeds 1; done
run --acts 'relu,lightrelu(maxv=16)' --arch xresnet34 --seeds 2
