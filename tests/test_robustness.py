"""Robustness suite: what a careful user hits first. Every activation in precision, compile and gradient checks; the learner
under mixed precision; hook hygiene over exceptions, cancels and many fits; export/load/predict; seeded reproducibility; and
the error messages for bad input."""
import gc, json, math, warnings
import pytest, torch, torch.nn as nn
from fastai.callback.core import Callback, CancelFitException
from fastai.learner import load_learner
from lisht_fastai.registry import ACTS, get_act
from lisht_fastai.activations import LightRelu
from lisht_fastai.stats import ActivationStats
from lisht_fastai.learner import lisht_learner
from helpers import synthetic, synthetic_dls, n_hooks, Boom, fit_quietly

# the activations the package ships; a new registration must be added here, so that the suite below covers it
SHIPPED = {'lisht', 'lightrelu', 'generalrelu', 'ftswish', 'ftswish+', 'relu', 'swish', 'mish', 'gelu'}
VARIANTS = [(n, {}) for n in sorted(SHIPPED)] + [(n, {'fused': False}) for n in ('lisht', 'lightrelu', 'ftswish', 'ftswish+')] + \
           [('generalrelu', dict(leak=.1, sub=.4, maxv=6)), ('lightrelu', dict(maxv=None)), ('lightrelu', dict(sub=None, maxv=3))]   # maxv=3: the clamp (|x| ~ 3.02) falls inside the tested range
IDS = [f"{n}({','.join(f'{k}={v}' for k, v in kw.items())})" for n, kw in VARIANTS]


def make(name, kw): return get_act(name, **kw)()


def lisht_inverse(v):
    "The c >= 0 with c*tanh(c) = v: where LightRelu's clamp starts (|x| > c)."
    lo, hi = 0., v + 1.
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if mid * math.tanh(mid) < v else (lo, mid)
    return hi


def test_every_registered_activation_is_covered():
    names = {e.name for e in ACTS.values()}
    assert names == SHIPPED, f"registered, not in SHIPPED (so the suite does not check them): {names - SHIPPED}"


@pytest.mark.parametrize('name,kw', VARIANTS, ids=IDS)
def test_gradcheck_float64(name, kw):
    act = make(name, kw)
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(200, generator=g, dtype=torch.float64) * 8 - 4)
    x = x + 0.05 * torch.sign(x)                       # keep away from the kink at 0 (ReLU family, FTSwish)
    if isinstance(act, LightRelu) and act.maxv is not None:    # and from the clamp's kink at |x| = c, c*tanh(c) = maxv + sub
        x = x[(x.abs() - lisht_inverse(act.maxv + (act.sub or 0.))).abs() > 0.05]
    x.requires_grad_()
    assert torch.autograd.gradcheck(act, (x,), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16], ids=['fp16', 'bf16'])
@pytest.mark.parametrize('name,kw', VARIANTS, ids=IDS)
def test_half_precision_finite_on_wide_inputs(name, kw, dtype):
    act = make(name, kw)
    x = torch.linspace(-20, 20, 4001, dtype=dtype).requires_grad_()
    y = act(x)
    assert y.dtype == dtype
    assert torch.isfinite(y).all(), f"non-finite outputs at {x[~torch.isfinite(y)][:5].tolist()}"
    y.float().sum().backward()
    assert torch.isfinite(x.grad).all(), f"non-finite gradients at {x[~torch.isfinite(x.grad)][:5].tolist()}"
    # and they agree with the float32 computation within the format's precision
    y32 = make(name, kw)(x.detach().float())
    tol = 2e-2 if dtype == torch.bfloat16 else 4e-3
    torch.testing.assert_close(y.float(), y32, rtol=tol, atol=tol)


@pytest.mark.parametrize('name,kw', VARIANTS, ids=IDS)
def test_torch_compile_same_outputs_and_grads(name, kw):
    torch._dynamo.reset()
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(1, 4, 3), make(name, kw), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    x = torch.randn(5, 1, 8, 8) * 3
    c = torch.compile(m, fullgraph=True)               # inductor, no graph breaks allowed
    y = c(x); y.sum().backward()
    grads = [p.grad.clone() for p in m.parameters()]
    m.zero_grad()
    y0 = m(x); y0.sum().backward()
    torch.testing.assert_close(y, y0, rtol=1e-5, atol=1e-5)
    for a, p in zip(grads, m.parameters()): torch.testing.assert_close(a, p.grad, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope='module')
def data():
    return synthetic(512)


def small_learner(data, act='lightrelu', bs=64, seed=0, **kw):
    torch.manual_seed(seed)
    return lisht_learner(synthetic_dls(*data, bs), act=act, arch='nb06', lr=1e-2, **kw)


fit = fit_quietly


class Probe(Callback):
    def before_fit(self): self.dtypes = []
    def after_pred(self): self.dtypes.append(self.learn.pred.dtype)


@pytest.mark.parametrize('mode,dtype', [('fp16', torch.float16), ('bf16', torch.bfloat16)])
def test_mixed_precision_trains(data, mode, dtype):
    probe = Probe()
    learn = small_learner(data, cbs=probe)
    learn = learn.to_fp16() if mode == 'fp16' else learn.to_bf16()
    p0 = [p.detach().clone() for p in learn.model.parameters()]
    fit(learn)
    assert set(probe.dtypes) == {dtype}, f"autocast did not run in {dtype}: {set(probe.dtypes)}"
    assert all(math.isfinite(v) for v in learn.recorder.values[-1])
    assert torch.isfinite(learn.activation_stats.values).all()
    assert any(not torch.equal(a, b) for a, b in zip(p0, learn.model.parameters())), "the weights did not change"


def test_no_hooks_after_normal_fit(data):
    learn = small_learner(data, nan_guard=True)
    fit(learn)
    assert n_hooks(learn.model) == 0


@pytest.mark.parametrize('exc', [RuntimeError('boom'), KeyboardInterrupt()], ids=['error', 'interrupt'])
def test_no_hooks_after_exception_in_batch(data, exc):
    learn = small_learner(data, nan_guard=True)
    with pytest.raises(type(exc)):
        fit(learn, cbs=Boom(3, exc))
    assert n_hooks(learn.model) == 0
    assert len(learn.activation_stats.records) == 3          # what was recorded before the exception is kept
    fit(learn)                                               # and the learner trains again
    assert n_hooks(learn.model) == 0 and len(learn.activation_stats.records) == len(learn.dls.train)


def test_no_hooks_after_cancel_fit(data):
    learn = small_learner(data, nan_guard=True)
    fit(learn, 2, cbs=Boom(2, CancelFitException()))
    assert n_hooks(learn.model) == 0
    assert len(learn.activation_stats.records) == 2


def _live_tensors():
    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')              # isinstance on torch.distributed's deprecated reduce_op warns
        return sum(1 for o in gc.get_objects() if isinstance(o, torch.Tensor))


def test_ten_fits_leave_no_hooks_and_no_growth(data):
    learn = small_learner(data, nan_guard=True)
    fit(learn); fit(learn)
    base = _live_tensors()
    for _ in range(10):
        fit(learn)
        assert n_hooks(learn.model) == 0
    assert len(learn.activation_stats.records) == len(learn.dls.train)       # reset on every fit, not stacked
    grown = _live_tensors() - base
    assert grown <= 5, f"{grown} more live tensors after 10 more fits"


def test_export_load_predict_with_stats(tmp_path):
    from lisht_fastai.data import mnist_dls
    dls = mnist_dls(seed=0)
    torch.manual_seed(0)
    learn = lisht_learner(dls, act='lightrelu')
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1)
    assert any(isinstance(c, ActivationStats) for c in learn.cbs)
    learn.export(tmp_path / 'l.pkl')
    l2 = load_learner(tmp_path / 'l.pkl')
    assert any(isinstance(c, ActivationStats) for c in l2.cbs)
    xv, yv = dls.valid_ds.x[:20, 0], dls.valid_ds.y[:20]
    with l2.no_bar():
        preds = [l2.predict(x) for x in xv]
    labels = [p[0] for p in preds]
    assert all(isinstance(l, str) for l in labels)
    assert sum(int(l) == int(y) for l, y in zip(labels, yv)) >= 18      # a trained model: ~97% on the valid set
    for (lbl, idx, probs) in preds: assert int(lbl) == int(idx) and abs(float(probs.sum()) - 1) < 1e-4
    # the same prediction as the in-memory learner
    with learn.no_bar(): assert learn.predict(xv[0])[0] == labels[0]
    # and the loaded learner records stats again when trained
    l2.dls = dls
    with l2.no_bar(), l2.no_logging(): l2.fit(1, 1e-3)
    assert len(l2.activation_stats.records) == len(dls.train)


def test_two_seeded_runs_are_identical():
    from lisht_fastai.data import mnist_dls
    runs = []
    for _ in range(2):
        dls = mnist_dls(seed=3)              # seeded shuffle
        torch.manual_seed(3)
        learn = lisht_learner(dls, act='lightrelu', stats=dict(hist=True))
        losses = []
        class Loss(Callback):
            def after_batch(self):
                if self.training: losses.append(self.loss.item())
        with learn.no_bar(), learn.no_logging(): learn.fit(1, cbs=Loss())
        runs.append((losses, learn.activation_stats.values, learn.activation_stats.hists))
    (l1, v1, h1), (l2, v2, h2) = runs
    assert len(l1) == 98 and l1 == l2
    assert torch.equal(v1, v2) and torch.equal(h1, h2)


# --- bad input: each a clear message -------------------------------------------------------------------------
def test_unknown_activation_names():      # get_act's own messages: nbs/00c_registry
    with pytest.raises(ValueError, match=r"Unknown activation 'tanhexp'.*Known names: "):
        lisht_learner(synthetic_dls(*synthetic(64), 32), act='tanhexp')
    from lisht_fastai.registry import parse_act
    with pytest.raises(ValueError, match=r"Unknown activation 'swsh'"):
        parse_act('swsh(threshold=1)')


def test_wrong_parameter_types():
    with pytest.raises(TypeError, match=r"sub must be a finite number or None, got str"):
        lisht_learner(synthetic_dls(*synthetic(64), 32), act='lightrelu', act_kwargs={'sub': 'x'})
    with pytest.raises(ValueError, match=r"every must be a positive number of batches, got 0"):
        ActivationStats(every=0)


def test_data_paths_that_do_not_exist(tmp_path):
    from lisht_fastai.data import mnist_dls
    from lisht_fastai.folders import imagenette_dls
    missing = tmp_path / 'nowhere'
    with pytest.raises(FileNotFoundError, match=r"nowhere"):
        mnist_dls(missing)
    with pytest.raises(FileNotFoundError, match=r"nowhere"):
        imagenette_dls(path=missing)


def test_corrupt_results_file(tmp_path):
    from lisht_fastai.all import compare, main, RESULTS_HEADER
    fn = tmp_path / 'results.jsonl'
    fn.write_text(json.dumps(RESULTS_HEADER) + '\n{"config": \n{"config": {}}\n')       # corrupt before the last line
    with pytest.raises(ValueError, match=r"results\.jsonl, line 2: corrupt JSON .*delete that line"):
        compare('relu', out=tmp_path, show='none')
    fn.write_text('not a results file\n')
    with pytest.raises(ValueError, match=r"is not a lisht_fastai results file"):
        compare('relu', out=tmp_path, show='none')
    assert main(['mnist', '--acts', 'relu', '--out', str(tmp_path)]) == 2     # the CLI reports it and exits 2
