"""Where a LightRelu call's time goes with the CPU loops (issue 24): each loop alone, ATen's SiLU pieces, and the
Python around a call.

    python benchmarks/cpu_loops.py          # about a minute on 2 CPU cores

Rows, all on a 512x8x14x14 float32 tensor unless named: the LightRelu loop's forward and backward called directly
(`cpu_loops().lisht_fwd/lisht_bwd`), ATen's `silu` and `silu_backward`, `relu` and `threshold_backward` (what moving the
same bytes costs), and forward+backward through `light_relu` and `F.relu` on 2**15 elements, where the per-element
work is small and the difference is the Python around a call (the autograd Function, the kernel-mode checks).
Minimum over interleaved rounds, denormals flushed; ratios compare rows of this one run.
"""
import argparse, math, time, warnings, torch, torch.nn.functional as F
warnings.filterwarnings('ignore', category=FutureWarning)
from lisht_fastai.cpu_loops import cpu_loops, clamp_band
from lisht_fastai.kernels import light_relu, flush_denormals


def fwd_bwd(f, x):
    def run():
        xi = x.detach().requires_grad_(); y = f(xi); y.backward(torch.ones_like(y))
    return run


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--reps', type=int, default=200, help='interleaved rounds (>= 1)')
    a = p.parse_args()
    if a.reps < 1: p.error('--reps must be at least 1')
    m, band = cpu_loops(), clamp_band(.46, 7.5)
    if m is None: raise SystemExit("the CPU loops are not built on this machine: nothing to measure")
    torch.manual_seed(0)
    x, g, small = torch.randn(512, 8, 14, 14), torch.randn(512, 8, 14, 14), torch.randn(1 << 15)
    fns = {'LightRelu loop, forward': lambda: m.lisht_fwd(x, .46, 7.5),
           'LightRelu loop, backward': lambda: m.lisht_bwd(x, g, .46, 7.5, *band),
           'ATen silu': lambda: F.silu(x), 'ATen silu_backward': lambda: torch.ops.aten.silu_backward(g, x),
           'ATen relu': lambda: F.relu(x), 'ATen threshold_backward': lambda: torch.ops.aten.threshold_backward(g, x, 0.),
           'light_relu fwd+bwd, 2**15 elements': fwd_bwd(light_relu, small),
           'F.relu fwd+bwd, 2**15 elements': fwd_bwd(F.relu, small)}
    best = dict.fromkeys(fns, math.inf)
    with flush_denormals(True):                  # none of the inputs requires grad: the direct calls record nothing
        for f in fns.values(): f()
        for _ in range(a.reps):
            for k, f in fns.items():
                t0 = time.perf_counter(); f(); best[k] = min(best[k], time.perf_counter() - t0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; minimum of {a.reps} interleaved rounds\n")
    for k, t in best.items(): print(f"{k:36s} {t*1e3:7.3f} ms")
    print(f"\nloop backward / ATen silu_backward: {best['LightRelu loop, backward']/best['ATen silu_backward']:.2f}; "
          f"loop forward / ATen silu: {best['LightRelu loop, forward']/best['ATen silu']:.2f}")
    print(f"Python around one forward+backward (2**15 elements, light_relu minus F.relu): "
          f"{(best['light_relu fwd+bwd, 2**15 elements'] - best['F.relu fwd+bwd, 2**15 elements'])*1e6:.0f} us")


if __name__ == '__main__':
    main()
