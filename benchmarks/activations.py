"""Activation cost against ReLU, measured in one run (issue 12): one call, a train step, an epoch.

    python benchmarks/activations.py             # ~4 minutes on 2 CPU cores (MNIST must be present or downloadable)
    python benchmarks/activations.py --quick     # one call and the train steps only

1. forward+backward of one activation call on a 512x8x14x14 float32 tensor (the nb06 CNN's first activation at
   bs 512) in each kernel mode: 'auto' (float32 on the CPU: the hand-written loops of `lisht_fastai.cpu_loops`),
   'compiled' (torch.compile's fused kernels) and 'eager' (plain torch ops), and the bytes autograd saves for backward;
1b. the fused LightRelu forward alone, with the kernel's `tanh` and with the alternatives it was chosen over (each
   compiled as the kernel is, with its largest error against float64 `tanh` on [-10, 10]);
1c. the fixed cost of one call of the compiled kernel and of the CPU loop, from the forward at two input sizes;
2. one training step (forward, backward, SGD step) of the nb06 CNN at bs 512 and of XResNet34 at 64 px, bs 64;
3. one nb06 epoch, `lisht_learner(dls, act).fit_one_cycle(1)` on MNIST.
On a GPU it also times XResNet34 at 128 px, bs 256, channels_last, bf16 autocast.
Times are the minimum over --reps repetitions taken in turns (ReLU, then each activation, then ReLU again ...), so
slow drift of the machine hits every row alike and the ~20 ms stalls of a noisy machine (which a median of a short run
can still catch) drop out; ratios compare rows of this one run. Denormals are flushed throughout.
"""
import argparse, time, statistics, warnings, torch, torch.nn as nn
from functools import partial
warnings.filterwarnings('ignore', category=FutureWarning)
from lisht_fastai.activations import LiSHT, LightRelu, GeneralRelu, FTSwish, FTSwishPlus
from lisht_fastai.kernels import flush_denormals, set_kernels, kernel_mode
from lisht_fastai.cpu_loops import cpu_loops
from lisht_fastai.models import nb06_cnn, xresnet
from lisht_fastai import kernels as A

ACTS = {'ReLU': nn.ReLU, 'LightRelu': LightRelu, 'LiSHT': LiSHT, 'FTSwish': FTSwish, 'FTSwishPlus': FTSwishPlus,
        'GeneralRelu(.1,.4,6)': partial(GeneralRelu, .1, .4, 6.), 'SiLU': nn.SiLU}
MODES = ('auto', 'compiled', 'eager')


def saved_bytes(act, x):
    "Bytes of the distinct tensors autograd saves for backward when applying `act` to `x`."
    seen = {}
    def pack(t):
        seen[(t.untyped_storage().data_ptr(), t.dtype)] = t.untyped_storage().nbytes()
        return t
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t): act(x)
    return sum(seen.values())


def in_turns(fns, reps, warmup=2):
    "Fastest seconds of each zero-argument function in `fns`, called in turns `reps` times after `warmup` rounds."
    ts = {k: [] for k in fns}
    for r in range(warmup + reps):
        for k, (mode, f) in fns.items():
            set_kernels(mode)
            t0 = time.perf_counter(); f(); dt = time.perf_counter() - t0
            if r >= warmup: ts[k].append(dt)
    return {k: min(v) for k, v in ts.items()}


def one_call(act, x):
    def f():
        xi = x.detach().requires_grad_(); y = act(xi); y.backward(torch.ones_like(y))
    return f


def train_step(model, xb, yb, dev, autocast=None):
    opt, lf = torch.optim.SGD(model.parameters(), lr=1e-3), nn.CrossEntropyLoss()
    def f():
        with torch.autocast(dev, dtype=autocast, enabled=autocast is not None): loss = lf(model(xb), yb)
        loss.backward(); opt.step(); opt.zero_grad()
        if dev == 'cuda': torch.cuda.synchronize()
    return f


def table(title, med, base='ReLU'):
    "Print the fastest times in ms, as a ratio to row `base` unless it is None, and to SiLU where it is a row."
    w, silu = max(32, *map(len, med)), med.get('SiLU') if base else None
    print(f"\n{title}")
    print(f"{'':{w}s} {'ms (min)':>9s} {'x ReLU' if base else '':>7s} {'x SiLU' if silu else '':>7s}")
    for k, t in med.items():
        print(f"{k:{w}s} {t*1e3:9.3f} {f'{t/med[base]:7.2f}' if base else '':>7s} {f'{t/silu:7.2f}' if silu else ''}")


KERNEL_ACTS = ('LightRelu', 'LiSHT', 'FTSwish', 'FTSwishPlus', 'GeneralRelu(.1,.4,6)')

def rows(names, make):
    "ReLU first; the LiSHT family, FTSwish and GeneralRelu in each kernel mode; the others once."
    out = {'ReLU': ('eager', make('ReLU'))}
    for n in names:
        if n == 'ReLU': continue
        for m in (MODES if n in KERNEL_ACTS else ('auto',)):
            out[f"{n} ({m})" if n in KERNEL_ACTS else n] = (m, make(n))
    return out


_P = (-6.2428194763871314e-09, 7.2195282656337446e-06, 0.002704160851210428, 0.12720034378944897,
      0.9999998263230159)
_Q = (0.00019773094690505853, 0.022883579773034724, 0.46053225318529045, 1.0)

def _tanh_global_coefs(x):
    "The kernel's rational tanh, its coefficients read from global tuples (how the first kernel was written)."
    x = x.clamp(-7.90531110763549805, 7.90531110763549805)
    x2, p, q = x * x, _P[0], _Q[0]
    for c in _P[1:]: p = p * x2 + c
    for c in _Q[1:]: q = q * x2 + c
    return x * p / q

def _tanh_eigen(x):
    "Eigen's float32 tanh, 13th over 6th degree, literal coefficients: the kernels' form before the 9/6 fit."
    x = x.clamp(-7.90531110763549805, 7.90531110763549805)
    x2 = x * x
    p = ((((((-2.76076847742355e-16 * x2 + 2.00018790482477e-13) * x2 - 8.60467152213735e-11) * x2
             + 5.12229709037114e-08) * x2 + 1.48572235717979e-05) * x2 + 6.37261928875436e-04) * x2
         + 4.89352455891786e-03)
    q = ((1.19825839466702e-06 * x2 + 1.18534705686654e-04) * x2 + 2.26843463243900e-03) * x2 + 4.89352518554385e-03
    return x * p / q

TANH_FORMS = {  # name -> (tanh, compile options)
    'rational 9/6, literal coefficients (the kernel)': (A._tanh_rational, A._COMPILE_OPTIONS),
    'rational 9/6, no FMA contraction': (lambda x: A._tanh_rational(x), {}),
    'rational 9/6, coefficients from globals': (_tanh_global_coefs, A._COMPILE_OPTIONS),
    "rational 13/6 (Eigen's), literal coefficients": (_tanh_eigen, A._COMPILE_OPTIONS),
    '1 - 2/(exp(2x) + 1)': (lambda x: 1 - 2 / (torch.exp(2 * x) + 1), A._COMPILE_OPTIONS),
    '2*sigmoid(2x) - 1': (lambda x: 2 * torch.sigmoid(2 * x) - 1, A._COMPILE_OPTIONS),
    "inductor's tanh (SLEEF)": (torch.tanh, A._COMPILE_OPTIONS),
}

def tanh_forms(x, reps):
    "Section 1b: the LightRelu forward `(x*tanh(x) - .46).clamp_max(7.5)`, compiled as the kernel is, per tanh form."
    xs = torch.linspace(-10, 10, 200_001, dtype=torch.float64)
    fns, errs = {'ReLU': ('eager', lambda: torch.relu(x))}, {}
    for name, (th, opts) in TANH_FORMS.items():
        def fwd(x, sub: float, maxv: float, th=th): return (x * th(x) - sub).clamp_max(maxv)
        k = torch.compile(fwd, dynamic=True, options=opts)
        errs[name] = (torch.compile(th, dynamic=True, options=opts)(xs.float()).double() - torch.tanh(xs)).abs().max()
        fns[name] = ('compiled', lambda k=k: k(x, .46, 7.5))
    with torch.no_grad(): med = in_turns(fns, reps)
    table("1b. LightRelu forward alone, 512x8x14x14 float32, no grad, CPU: the tanh forms", med)
    print("max abs error of each tanh form against float64 tanh on [-10, 10]:")
    for k, e in errs.items(): print(f"  {k:50s} {e:.1e}")


def call_cost(x, reps):
    """Section 1c: the fixed cost of one call (all but the per-element work: dynamo's guards, the Python wrappers,
    starting the loop's threads), from the LightRelu forward, compiled and as the CPU loop, on the smallest input that
    uses them (2**15 elements) and on `x`, with `torch.relu` on both for scale."""
    small = x.flatten()[:A._MIN_NUMEL].clone()
    k = torch.compile(A._lisht_fwd, dynamic=True, options=A._COMPILE_OPTIONS)
    p, xf = torch.tensor([.46, 7.5]), x.view(-1)          # the kernel's inputs: flat, parameters as a tensor
    loops = cpu_loops()
    fns = {'ReLU, 2**15 elements': ('eager', lambda: torch.relu(small)),
           'LightRelu kernel, 2**15 elements': ('compiled', lambda: k(small, p)),
           'LightRelu CPU loop, 2**15 elements': ('auto', lambda: loops.lisht_fwd(small, .46, 7.5)),
           f'ReLU, {x.numel()} elements': ('eager', lambda: torch.relu(x)),
           f'LightRelu kernel, {x.numel()} elements': ('compiled', lambda: k(xf, p)),
           f'LightRelu CPU loop, {x.numel()} elements': ('auto', lambda: loops.lisht_fwd(x, .46, 7.5))}
    with torch.no_grad(): med = in_turns(fns, reps)
    t = list(med.values()); n = x.numel() / small.numel()
    table("1c. the fixed cost of a call: LightRelu forward, compiled kernel and CPU loop, no grad, CPU", med, base=None)
    for what, i in (('compiled call', 1), ('CPU loop call', 2)):
        fixed = (n * t[i] - t[i + 3]) / (n - 1)   # t = fixed + per-element cost * numel, solved from the two sizes
        print(f"fixed cost per {what} (straight line through its two rows): {fixed*1e6:.1f} us; "
              f"a forward+backward makes two such calls")


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--reps', type=int, default=20, help='repetitions of the one-call and train-step timings (>= 1)')
    p.add_argument('--epoch-reps', type=int, default=2, help='nb06 epochs per activation (>= 1)')
    p.add_argument('--quick', action='store_true', help='skip the nb06 epochs')
    a = p.parse_args()
    if a.reps < 1 or a.epoch_reps < 1: p.error('--reps and --epoch-reps must be at least 1')
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, kernel mode at start: {kernel_mode()}")
    with flush_denormals(True):
        x = torch.randn(512, 8, 14, 14)
        print("\nbytes saved for backward, 512x8x14x14 float32 input (x itself: 3.06 MiB)")
        for n, c in ACTS.items():
            for m in (MODES if n in KERNEL_ACTS else ('auto',)):
                set_kernels(m)
                print(f"  {n:22s} {m:9s} {saved_bytes(c(), x.detach().requires_grad_())/2**20:6.2f} MiB")
        med = in_turns(rows(ACTS, lambda n: one_call(ACTS[n](), x)), a.reps * 5)
        table("1. one call, forward+backward, 512x8x14x14 float32, CPU", med)

        tanh_forms(x, a.reps * 5)
        call_cost(x, a.reps * 10)

        xb, yb = torch.randn(512, 1, 28, 28), torch.randint(0, 10, (512,))
        def nb06(n):
            torch.manual_seed(0); return train_step(nb06_cnn(ACTS[n]), xb, yb, 'cpu')
        table("2a. nb06 CNN train step, bs 512, CPU",
              in_turns(rows(['LightRelu', 'LiSHT', 'FTSwish', 'GeneralRelu(.1,.4,6)'], nb06), a.reps * 2))
        xi, yi = torch.randn(64, 3, 64, 64), torch.randint(0, 10, (64,))
        def xr(n):
            torch.manual_seed(0); return train_step(xresnet('xresnet34', ACTS[n]), xi, yi, 'cpu')
        table("2b. XResNet34 train step, 64 px, bs 64, CPU",
              in_turns(rows(['LightRelu', 'FTSwish', 'GeneralRelu(.1,.4,6)'], xr), a.reps))

        if torch.cuda.is_available():
            xg, yg = torch.randn(256, 3, 128, 128, device='cuda').to(memory_format=torch.channels_last), \
                     torch.randint(0, 10, (256,), device='cuda')
            def xg_(n):
                torch.manual_seed(0)
                m = xresnet('xresnet34', ACTS[n]).cuda().to(memory_format=torch.channels_last)
                return train_step(m, xg, yg, 'cuda', autocast=torch.bfloat16)
            table(f"2c. XResNet34 train step, 128 px, bs 256, channels_last, bf16 autocast, "
                  f"{torch.cuda.get_device_name()}", in_turns(rows(['LightRelu', 'LiSHT', 'FTSwish'], xg_), a.reps))
        else: print("\n2c. no GPU here: the CUDA step was not measured")

        if a.quick: return
        from lisht_fastai.data import mnist_dls
        from lisht_fastai.learner import lisht_learner
        dls = mnist_dls(seed=0)
        def epoch(n):
            def f():
                learn = lisht_learner(dls, act=ACTS[n], arch='nb06', stats=False, lr=0.1)
                with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1)
            return f
        table("3. one nb06 epoch, lisht_learner(...).fit_one_cycle(1), MNIST 50k images, bs 512, CPU",
              in_turns(rows(['LightRelu', 'FTSwish'], epoch), a.epoch_reps, warmup=1))


if __name__ == '__main__':
    main()
