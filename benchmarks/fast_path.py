"""What the fast path buys: a thread-scale XResNet34 run (Imagenette, 128 px, bs 64, the notebook-11 recipe) on the CPU.

    python benchmarks/fast_path.py [--batches 16] [--rounds 2] [--data-path ../shared/data/imagenette2-224]

Each configuration is a real `run_learner` learner on the full Imagenette split: it trains `--batches` batches (data
loading, the statistics and the guard included) and runs as many validation batches, in `--rounds` interleaved
rounds. A batch's time runs from the end of the one before, so loader workers that fall behind show; the first two
batches of each phase (workers starting, a prefetched queue) are left out, and the table shows the best round's mean
per batch (the machine stalls in bursts: the best round is the least disturbed). Fewer batches would hide the PIL
pipeline's cost behind its prefetch queue. From those it estimates one
epoch (147 training batches + 62 validation batches of 128) and a 12-epoch run, and gives each step's ratio to the
float32 + PIL baseline, so one run says what each part buys:
- precision: 'bf16' (autocast + channels_last) against 'fp32';
- pipeline: 'tensor' (images decoded once, crops on tensors) against 'pil' (fastai's workers);
- stats_every: statistics and layer checks on every 10th batch against every batch;
- the LiSHT family in bf16: LightRelu(maxv=16) against ReLU with everything on.
"""
import argparse, os, platform, sys, time, warnings
warnings.filterwarnings('ignore', category=FutureWarning)
import torch
from fastai.callback.core import Callback, CancelFitException, CancelValidException
from lisht_fastai.runs import RunConfig, run_learner, seeded
from lisht_fastai.learner import bf16_native

TRAIN_BATCHES, VALID_BATCHES = 9469 // 64, -(-3925 // 128)


class BatchTimer(Callback):
    "Time each batch of one phase (from the end of the previous one: data loading included); stop after `n`."
    order = 100
    def __init__(self, n, train=True): self.n, self.train, self.times = n, train, []
    def before_train(self): self.t = time.perf_counter()
    def before_validate(self): self.t = time.perf_counter()
    def after_batch(self):
        if self.training != self.train: return
        t = time.perf_counter(); self.times.append(t - self.t); self.t = t
        if len(self.times) >= self.n: raise CancelFitException() if self.train else CancelValidException()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--batches', type=int, default=16, help="training (and validation) batches per round (>= 3)")
    p.add_argument('--rounds', type=int, default=2, help="interleaved rounds (>= 1)")
    p.add_argument('--data-path', default=None, help="an Imagenette folder (default: the library's search)")
    p.add_argument('--configs', default=None, help="only the configurations whose names contain one of these "
                                                   "';'-separated strings (the first one found is the baseline)")
    a = p.parse_args(argv)
    if a.batches < 3 or a.rounds < 1: p.error("--batches must be >= 3 and --rounds >= 1")
    base = dict(data='imagenette', recipe='nb11', arch='xresnet34', epochs=12, size=128, seed=0)
    configs = {
        'fp32, pil, stats every batch (today)':      dict(act='relu'),
        'bf16, pil, stats every batch':              dict(act='relu', precision='bf16'),
        'bf16, tensor, stats every batch':           dict(act='relu', precision='bf16', pipeline='tensor'),
        'bf16, pil, stats every 10th':               dict(act='relu', precision='bf16', stats_every=10),
        'bf16, tensor, stats every 10th':            dict(act='relu', precision='bf16', pipeline='tensor', stats_every=10),
        'fp32, tensor, stats every 10th':            dict(act='relu', pipeline='tensor', stats_every=10),
        'bf16, tensor, no stats, no guard':          dict(act='relu', precision='bf16', pipeline='tensor', bare=True),
        'LightRelu(16): bf16, tensor, every 10th':   dict(act='lightrelu(maxv=16)', precision='bf16', pipeline='tensor',
                                                          stats_every=10),
    }
    if a.configs:
        keep = [k for k in configs if any(w.strip() in k for w in a.configs.split(';'))]
        if not keep: p.error(f"--configs matches none of {list(configs)}")
        configs = {k: configs[k] for k in keep}
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
    print(f"{cpu}; {torch.get_num_threads()} threads; bf16 native: {bf16_native()}; torch {torch.__version__}")
    print(f"XResNet34 (course block), Imagenette 128 px, bs 64; {a.batches} batches x {a.rounds} interleaved rounds; "
          f"the best round's mean per batch\n", flush=True)
    learners = {}
    for k, c in configs.items():
        c = dict(c); bare = c.pop('bare', False)
        cfg = RunConfig.make(**{**base, **c})
        with seeded(0):
            learn, _ = run_learner(cfg, data_path=a.data_path, num_workers=None)
        if bare:
            learn.remove_cbs([cb for cb in learn.cbs if type(cb).__name__ in ('ActivationStats', 'NaNGuard')])
        learners[k] = learn
    tr = {k: [] for k in configs}; va = {k: [] for k in configs}
    for r in range(a.rounds):
        for k, learn in learners.items():
            timer = BatchTimer(a.batches)
            with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3, cbs=timer)
            tr[k].append(sum(timer.times[2:]) / len(timer.times[2:]))   # the first two: workers starting, a full queue
            timer = BatchTimer(a.batches, train=False)
            with learn.no_bar(), learn.no_logging(): learn.validate(cbs=timer)
            va[k].append(sum(timer.times[2:]) / len(timer.times[2:]))
        print(f"round {r + 1}/{a.rounds} done", flush=True)
    base_k = next(iter(configs))
    epoch = {k: min(tr[k]) * TRAIN_BATCHES + min(va[k]) * VALID_BATCHES for k in configs}
    print(f"\n{'configuration':42} {'train s/batch':>13} {'valid s/batch':>13} {'epoch min':>9} {'12 epochs min':>13} "
          f"{'x faster':>8}")
    for k in configs:
        print(f"{k:42} {min(tr[k]):13.3f} {min(va[k]):13.3f} {epoch[k] / 60:9.1f} {12 * epoch[k] / 60:13.1f} "
              f"{epoch[base_k] / epoch[k]:8.2f}")
    pairs = [('precision: bf16 over fp32 (PIL, every batch)', 'fp32, pil, stats every batch (today)', 'bf16, pil, stats every batch'),
             ('pipeline: tensor over pil (bf16, every batch)', 'bf16, pil, stats every batch', 'bf16, tensor, stats every batch'),
             ('pipeline: tensor over pil (bf16, every 10th)', 'bf16, pil, stats every 10th', 'bf16, tensor, stats every 10th'),
             ('stats every 10th over every batch (bf16, tensor)', 'bf16, tensor, stats every batch', 'bf16, tensor, stats every 10th'),
             ('stats every 10th: cost over none (bf16, tensor)', 'bf16, tensor, no stats, no guard', 'bf16, tensor, stats every 10th'),
             ('bf16 over fp32 (tensor, every 10th)', 'fp32, tensor, stats every 10th', 'bf16, tensor, stats every 10th')]
    print("\nwhat each part buys (epoch time, before / after):")
    for name, x, y in pairs:
        if x in epoch and y in epoch: print(f"  {name:52} {epoch[x] / epoch[y]:.2f}x")
    lr, re_ = 'LightRelu(16): bf16, tensor, every 10th', 'bf16, tensor, stats every 10th'
    if lr in tr and re_ in tr:
        print(f"  {'LightRelu(16) / ReLU training step (bf16, tensor, every 10th)':52} {min(tr[lr]) / min(tr[re_]):.2f}")
    return 0


if __name__ == '__main__': sys.exit(main())
