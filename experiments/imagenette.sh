#!/usr/bin/env bash
# The Imagenette experiments behind nbs/11_imagenette.ipynb, as commands. Resumable (finished runs are skipped), and
# ordered so that a partial set is already useful: ReLU and LightRelu(maxv=16) in both blocks and GeneralRelu in the
# course's (done first, session 4), then every activation in the clean block with second seeds for ReLU and
# LightRelu(maxv=16) (the ranking, claim 6), with lr_find for the course's block after the first two (claim 5: about
# 2 minutes an activation on free cores), then the course's block for FTSwish, raw LiSHT, FTSwish at 3x the rate and
# LightRelu(maxv=8) (claim 7), then the course block's second seeds, then third seeds of ReLU and LightRelu(maxv=16) in
# the clean block, where their gap (2.2 points) is within two seeds' noise.
# The CPU configuration that ranks (issue 14): the full train and valid sets at 64 px, 5 epochs, XResNet34, the course's
# notebook-11 recipe (Adam eps 1e-6, one cycle pct_start 0.5, lr 1e-2). About 12-18 minutes a run on two CPU cores:
# more than one session; commit experiments/nb11_full/results.jsonl as it grows.
set -euo pipefail
cd "$(dirname "$0")"
run() { lisht-compare imagenette --recipe nb11 --epochs 5 --size 64 --out nb11_full "$@"; }
run --acts 'relu,lightrelu(maxv=16)' --arch xresnet34 --seeds 1
run --acts 'generalrelu(leak=.1,sub=.4,maxv=6)' --arch xresnet34 --seeds 1
run --acts 'relu,lightrelu(maxv=16)' --arch xresnet34_clean --seeds 1
run --acts 'generalrelu(leak=.1,sub=.4,maxv=6),ftswish' --arch xresnet34_clean --seeds 1
python xresnet_lr.py
run --acts 'relu,lightrelu(maxv=16)' --arch xresnet34_clean --seeds 2
run --acts 'lightrelu(maxv=8),lisht' --arch xresnet34_clean --seeds 1
run --acts 'ftswish,lisht' --arch xresnet34 --seeds 1
run --acts ftswish --arch xresnet34 --seeds 1 --lr 3e-2    # claim 7: "a higher rate helps" FTSwish
run --acts 'lightrelu(maxv=8)' --arch xresnet34 --seeds 1
run --acts 'relu,lightrelu(maxv=16)' --arch xresnet34 --seeds 2
run --acts 'relu,lightrelu(maxv=16)' --arch xresnet34_clean --seeds 3  # claim 6: a third seed where the gap is small
