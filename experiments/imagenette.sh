#!/usr/bin/env bash
# The Imagenette experiments behind nbs/11_imagenette.ipynb, as commands. Resumable (finished runs are skipped).
# CPU scale: XResNet34 at 64 px on a stratified 20% of each class, 5 epochs, 2 seeds, about 45 minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")"
ACTS='relu,lightrelu(maxv=16),generalrelu(leak=.1,sub=.4,maxv=6),ftswish'
for n in 1 2; do                                # seed 0 of everything first, then seed 1
  for arch in xresnet34 xresnet34_clean; do      # the course's block (act after the sum), and the clean identity path
    lisht-compare imagenette --acts "$ACTS" --arch $arch --epochs 5 --seeds $n --size 64 --subset 0.2 --out nb11_blocks "$@"
  done
done
