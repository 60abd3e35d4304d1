"""What exact reproducibility costs: epoch time of seeded runs with and without deterministic kernels, in one run.

    python benchmarks/determinism.py [--reps 3]

Runs one-epoch MNIST (course recipe, LightRelu) and one-epoch Imagenette (XResNet34, 64 px, 10% subset) configurations
through `run_one`, alternating deterministic=True/False (and which of the two goes first), and prints the median epoch time of each and the ratio.
It also checks that two deterministic runs gave identical losses.
"""
import argparse, statistics
from lisht_fastai.runs import RunConfig, run_one


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--reps', type=int, default=3, help="runs per setting (>= 1)")
    a = p.parse_args()
    if a.reps < 1: p.error("--reps must be >= 1")
    cfgs = {'MNIST nb06, course, 1 epoch': RunConfig.make('lightrelu', seed=0),
            'Imagenette xresnet34 64px 10%, 1 epoch': RunConfig.make('relu', data='imagenette', size=64, subset=0.1)}
    print(f"{'configuration':42s} {'deterministic':>14s} {'free':>8s} {'ratio':>6s}  identical losses")
    for name, cfg in cfgs.items():
        times, losses = {True: [], False: []}, {True: [], False: []}
        for i in range(a.reps):
            for det in ((True, False) if i % 2 == 0 else (False, True)):     # alternate which goes first
                rec = run_one(cfg, deterministic=det)
                times[det].append(sum(e['seconds'] for e in rec['epochs']))
                losses[det].append([(e['train_loss'], e['valid_loss']) for e in rec['epochs']])
        d, f = statistics.median(times[True]), statistics.median(times[False])
        same = all(l == losses[True][0] for l in losses[True])
        print(f"{name:42s} {d:12.2f} s {f:6.2f} s {d / f:6.3f}  {same}", flush=True)


if __name__ == '__main__':
    main()
