"""Fit the rational `tanh` of the fused kernels: `tanh(x) ~ x*P(x^2)/Q(x^2)` on [0, c], clamped at +-c beyond.

    python benchmarks/tanh_fit.py        # ~10 seconds on 2 CPU cores

For each size of P and Q (numbers of coefficients) it finds the coefficients that minimise the largest relative
error (so that `x*tanh(x)` stays accurate near zero), by linear programming on the linearised error
`x P - tanh(x) Q`, reweighted by the previous Q a few times (the differential-correction idea). It prints the largest
error of the float32 evaluation against float64 `tanh`: absolute on [-10, 10], relative on [1e-30, 10]. The kernel's
cost is one multiply-add per coefficient beyond the first, plus one division. Beyond the clamp point c the function is
constant, within its error of +-1 (Eigen's float `tanh`, the kernels' first form, has the 7/4 row's shape, degree 13
over 6, and saturates at exactly +-1). Section 1b of `benchmarks/activations.py` times the forms;
nbs/00a_kernels.ipynb holds the chosen coefficients and tests them.
"""
import argparse
import numpy as np, torch
from scipy.optimize import linprog


def fit(m, n, c, iters=6, npts=3000):
    "P (m coefficients) and Q (n, Q[0] = 1) minimising the largest relative error of x P(x^2)/Q(x^2) on (0, c]."
    x = np.unique(np.concatenate([np.linspace(0, c, npts), c * np.sin(np.linspace(0, np.pi / 2, npts))]))[1:]
    t, z, w = np.tanh(x), x * x, np.ones_like(x)
    for _ in range(iters):
        a = np.stack([x * z**i for i in range(m)] + [-t * z**j for j in range(1, n)], 1) / (w * t)[:, None]
        b, k = 1 / w, a.shape[1]
        one = np.ones((len(x), 1))
        r = linprog(np.r_[np.zeros(k), 1.], A_ub=np.block([[a, -one], [-a, -one]]), b_ub=np.r_[b, -b],
                    bounds=[(None, None)] * k + [(0, None)], method='highs')
        if r.status != 0: raise RuntimeError(f"linprog failed for sizes {m}/{n}, c={c}: {r.message}")
        p, q = r.x[:m], np.r_[1., r.x[m:k]]
        w = np.polyval(q[::-1], z)
    return p, q


def tanh_f32(x, p, q, c):
    "The kernel's evaluation in float32: clamp, Horner's rule in x^2, one division."
    x = x.clamp(-c, c); z = x * x
    num, den = torch.full_like(x, p[-1]), torch.full_like(x, q[-1])
    for a in p[-2::-1]: num = num * z + float(a)
    for a in q[-2::-1]: den = den * z + float(a)
    return x * num / den


def max_error(p, q, c):
    "The largest error, absolute on [-10, 10] and relative on [1e-30, 10], of the float32 evaluation."
    xs = torch.linspace(-10, 10, 400_001, dtype=torch.float64)
    ab = (tanh_f32(xs.float(), p, q, c).double() - torch.tanh(xs)).abs().max().item()
    xs = torch.logspace(-30, 1, 3101, dtype=torch.float64)
    return ab, ((tanh_f32(xs.float(), p, q, c).double() - torch.tanh(xs)).abs() / torch.tanh(xs)).max().item()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--sizes', default='7/4,5/4,4/4', help='comma-separated P/Q coefficient counts')
    ap.add_argument('--clamps', default='7.5,7.90531110763549805,8.5,9', help='comma-separated clamp points c')
    a = ap.parse_args()
    for s in a.sizes.split(','):
        m, n = map(int, s.split('/'))
        best = min(((max_error(*(pq := fit(m, n, c)), c), c, pq) for c in map(float, a.clamps.split(','))),
                   key=lambda r: max(r[0]))
        (ab, rel), c, (p, q) = best
        print(f"\nP/Q {m}/{n} ({m - 1 + n - 1} multiply-adds and a division), clamp c = {c!r}: largest error "
              f"{ab:.1e} absolute, {rel:.1e} relative")
        print("  P:", ', '.join(f"{v!r}" for v in p.tolist()))
        print("  Q:", ', '.join(f"{v!r}" for v in q.tolist()))


if __name__ == '__main__': main()
