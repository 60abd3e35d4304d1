"""Cost of watching activations: one nb06 CNN epoch on MNIST with no stats, with lisht_fastai's ActivationStats on
every activation layer every batch, with fastai's ActivationStats (its defaults), and with NaNGuard, in one run.

    python benchmarks/stats_overhead.py [--reps 2]

Each configuration is run --reps times, interleaved; the table shows the fastest epoch of each, as ratios to no stats.
"""
import argparse, time, torch
from fastai.callback.hook import ActivationStats as FastaiActivationStats
from lisht_fastai.data import mnist_dls
from lisht_fastai.learner import lisht_learner
from lisht_fastai.stats import ActivationStats
from lisht_fastai.guard import NaNGuard


def one_epoch(dls, act, cbs, stats):
    torch.manual_seed(0)
    learn = lisht_learner(dls, act=act, stats=stats, cbs=cbs)
    with learn.no_bar(), learn.no_logging():
        t0 = time.perf_counter(); learn.fit_one_cycle(1); dt = time.perf_counter() - t0
    return dt, learn


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--reps', type=int, default=2, help="epochs per configuration (>= 1)")
    p.add_argument('--act', default='lightrelu')
    a = p.parse_args()
    if a.reps < 1: p.error(f"--reps must be >= 1, got {a.reps}")
    dls = mnist_dls(seed=0)
    configs = {'no stats': (lambda: [], False),
               'lisht_fastai ActivationStats': (lambda: [], True),
               "fastai's ActivationStats": (lambda: [FastaiActivationStats()], False),
               'NaNGuard': (lambda: [NaNGuard()], False)}
    one_epoch(dls, a.act, [], False)   # warm-up
    best = {k: float('inf') for k in configs}
    for _ in range(a.reps):
        for k, (cbs, stats) in configs.items():
            dt, learn = one_epoch(dls, a.act, cbs(), stats)
            best[k] = min(best[k], dt)
            if k == 'lisht_fastai ActivationStats':
                st = learn.activation_stats
                n_sites, n_rec = len(st.layer_names), len(st.records)
    print(f"nb06 CNN, {a.act}, one fit_one_cycle epoch on MNIST (98 batches of 512), fastest of {a.reps}")
    for k, t in best.items():
        print(f"{k:30s} {t:6.2f} s  {t/best['no stats']:5.2f}x")
    print(f"(ours recorded {n_sites} activation layers x {n_rec} batches; fastai's hooks the {5} layers with parameters)")


if __name__ == '__main__':
    main()
