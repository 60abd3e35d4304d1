"""Activation benchmark: forward+backward time and bytes saved for backward, then full nb06 CNN epochs on MNIST.

    python benchmarks/activations.py            # ~2 minutes on 2 CPU cores
    python benchmarks/activations.py --quick    # skip the nb06 epochs

Times are medians of --reps runs, quoted as ratios to ReLU measured in this same run (machines are noisy).
"""
import argparse, time, statistics, torch, torch.nn as nn
from functools import partial
from lisht_fastai.activations import LiSHT, LightRelu, GeneralRelu, FTSwish, FTSwishPlus, flush_denormals
from lisht_fastai.data import mnist_dls
from lisht_fastai.models import nb06_cnn


def saved_bytes(act, x):
    "Bytes of the distinct tensors autograd saves for backward when applying `act` to `x`."
    seen = {}
    def pack(t):
        seen[(t.untyped_storage().data_ptr(), t.dtype)] = t.untyped_storage().nbytes()
        return t
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = act(x)
    return sum(seen.values()), y


def fwd_bwd_time(act, x, reps):
    ts = []
    for _ in range(reps + 1):
        xi = x.detach().requires_grad_()
        t0 = time.perf_counter(); y = act(xi); y.backward(torch.ones_like(y)); ts.append(time.perf_counter() - t0)
    return statistics.median(ts[1:])


def nb06_epoch(act, flush, dls, seed=0):
    "One plain-PyTorch epoch of the nb06 CNN (SGD, lr 0.4/0.2): seconds, valid accuracy."
    torch.manual_seed(seed)
    m = nb06_cnn(act)
    opt = torch.optim.SGD(m.parameters(), lr=0.2)
    lf = nn.CrossEntropyLoss()
    with flush_denormals(flush):
        t0 = time.perf_counter()
        for xb, yb in dls.train:
            xb, yb = xb.as_subclass(torch.Tensor), yb.as_subclass(torch.Tensor)
            loss = lf(m(xb), yb); loss.backward(); opt.step(); opt.zero_grad()
        dt = time.perf_counter() - t0
        with torch.no_grad(): acc = sum((m(xb.as_subclass(torch.Tensor)).argmax(1) == yb.as_subclass(torch.Tensor)).sum().item() for xb, yb in dls.valid) / 10000
    return dt, acc


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--n', type=int, default=16_000_000)
    p.add_argument('--reps', type=int, default=5)
    p.add_argument('--quick', action='store_true')
    a = p.parse_args()
    torch.manual_seed(0)
    x = torch.randn(a.n)
    acts = {'ReLU': nn.ReLU(), 'LiSHT (fused)': LiSHT(), 'LiSHT (eager)': LiSHT(fused=False),
            'LightRelu (fused)': LightRelu(), 'LightRelu (eager)': LightRelu(fused=False),
            'GeneralRelu(.1,.4,6)': GeneralRelu(.1, .4, 6.), 'FTSwish (fused)': FTSwish(), 'FTSwish (eager)': FTSwish(fused=False),
            'FTSwishPlus': FTSwishPlus(), 'SiLU': nn.SiLU(), 'Mish': nn.Mish(), 'GELU': nn.GELU()}
    print(f"forward+backward on {a.n/1e6:.0f}M float32 elements, CPU, {torch.get_num_threads()} threads, median of {a.reps}; denormals flushed")
    rows = []
    with flush_denormals(True):
        for n, act in acts.items():
            b, _ = saved_bytes(act, x.detach().requires_grad_())
            rows.append((n, fwd_bwd_time(act, x, a.reps), b))
    t_relu, b_relu = rows[0][1], rows[0][2]
    print(f"{'activation':22s} {'ms':>8s} {'x ReLU':>7s} {'saved MB':>9s} {'tensors':>8s}")
    for n, t, b in rows:
        print(f"{n:22s} {t*1e3:8.1f} {t/t_relu:7.2f} {b/2**20:9.1f} {b/(a.n*4):8.1f}")
    d = dict((n, t) for n, t, _ in rows)
    print(f"fused/eager time: LiSHT {d['LiSHT (fused)']/d['LiSHT (eager)']:.2f}, LightRelu {d['LightRelu (fused)']/d['LightRelu (eager)']:.2f}, "
          f"FTSwish {d['FTSwish (fused)']/d['FTSwish (eager)']:.2f}")
    if a.quick: return
    dls = mnist_dls(seed=0)
    nb06_epoch('relu', True, dls)   # warm-up
    print("\nnb06 CNN, one epoch of plain-PyTorch SGD on MNIST (50k images, bs 512)")
    res = {}
    for label, act, flush in [('ReLU', 'relu', False), ('ReLU, flushed', 'relu', True),
                              ('LightRelu eager', partial(LightRelu, fused=False), False),
                              ('LightRelu fused', 'lightrelu', False),
                              ('LightRelu eager, flushed', partial(LightRelu, fused=False), True),
                              ('LightRelu fused, flushed', 'lightrelu', True)]:
        dt, acc = nb06_epoch(act, flush, dls)
        res[label] = dt
        print(f"{label:26s} {dt:6.2f} s  {dt/res['ReLU']:5.2f}x ReLU  valid acc {acc:.4f}", flush=True)
    print(f"LightRelu fused+flushed vs ReLU flushed: {res['LightRelu fused, flushed']/res['ReLU, flushed']:.2f}x")


if __name__ == '__main__':
    main()
