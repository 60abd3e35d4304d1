#!/usr/bin/env bash
# The MNIST experiments behind nbs/10_mnist_nb06.ipynb, as commands. Run from anywhere; resumable: a run already in
# a results file is skipped, so an interrupted script picks up where it stopped. About an hour on two CPU cores.
# `experiments/mnist.sh --quiet` prints only the summaries; any lisht-compare option can be added the same way.
set -euo pipefail
cd "$(dirname "$0")"
T=nb10_telemetry G=nb10_grid
# Claims 1-3 on the course's one-epoch telemetry run: plain SGD at a constant lr, 10 seeds (same data order per seed)
lisht-compare mnist --recipe telemetry --epochs 1 --seeds 10 --lr 0.9 --acts 'relu,generalrelu(leak=.1,sub=.4,maxv=6),lightrelu' --out $T "$@"
lisht-compare mnist --recipe telemetry --epochs 1 --seeds 10 --acts 'lightrelu' --out $T "$@"                 # its default lr, 0.45
lisht-compare mnist --recipe telemetry --epochs 1 --seeds 10 --acts 'lightrelu(maxv=None),lisht' --out $T "$@"     # no clamp, raw LiSHT, 0.45
lisht-compare mnist --recipe telemetry --epochs 1 --seeds 10 --lr 0.9 --acts 'lightrelu(maxv=None),lisht' --out $T "$@"
# Claim 4 on the course's 8-epoch schedule: lr x maxv, 8 seeds each, with ReLU and GeneralRelu at 0.9 as the reference
lisht-compare mnist --epochs 8 --seeds 8 --acts 'relu,generalrelu(leak=.1,sub=.4,maxv=6)' --out $G "$@"
for lr in 0.45 0.1 0.3; do
  lisht-compare mnist --epochs 8 --seeds 8 --lr $lr --acts 'lightrelu,lightrelu(maxv=16)' --out $G "$@"
done
# Claim 3 on the 8-epoch schedule: no clamp; and the collapse with the plain (unfused) expression
lisht-compare mnist --epochs 8 --seeds 8 --lr 0.3 --acts 'lightrelu(maxv=None)' --out $G "$@"
lisht-compare mnist --epochs 8 --seeds 8 --lr 0.45 --acts 'lightrelu(fused=False)' --out $G "$@"
[ "${SKIP_LR02:-}" ] && exit 0
lisht-compare mnist --epochs 8 --seeds 8 --lr 0.2 --acts 'lightrelu,lightrelu(maxv=16)' --out $G "$@"
