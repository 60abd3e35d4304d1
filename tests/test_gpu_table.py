"""experiments/gpu_table.py (issue 23, part 3): its dry run on the CPU, its optimiser; and the library's tensor pipeline it
uses (`lisht_fastai.tensor_data`: crops, validation crop, loader)."""
import importlib.util, json, math, os, random, subprocess, sys
from pathlib import Path
import numpy as np, pytest, torch, torch.nn as nn
from PIL import Image
from fastai.layers import Flatten
from fastai.torch_core import TensorImage
from fastai.vision.core import imagenet_stats
from fastai.vision.augment import RandomResizedCrop
from lisht_fastai.all import *
from helpers import synthetic, synthetic_dls

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / 'experiments' / 'gpu_table.py'
spec = importlib.util.spec_from_file_location('gpu_table', SCRIPT)
gt = importlib.util.module_from_spec(spec); spec.loader.exec_module(gt)


def imagenette_or_synthetic(tmp_path):
    "The 128 px WebP Imagenette if this machine has it, else a 2-class folder in its layout (8 train, 4 val each)."
    try: return find_data(['imagenette2-128-webp'], None, None)
    except FileNotFoundError: pass
    g = np.random.default_rng(0)
    for split, n in (('train', 8), ('val', 4)):
        for c, tint in (('n01440764', 0), ('n02102040', 1)):
            d = tmp_path / 'imagenette' / split / c; d.mkdir(parents=True)
            for i in range(n):
                a = g.integers(0, 256, (48, 48, 3)); a[..., tint] = a[..., tint] // 4 + 190
                Image.fromarray(a.astype(np.uint8)).save(d / f'{i}.png')
    return tmp_path / 'imagenette'


def test_dry_run_writes_the_runners_records_and_resumes(tmp_path):
    data, out = imagenette_or_synthetic(tmp_path), tmp_path / 'out'
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')])}
    cmd = [sys.executable, str(SCRIPT), '--dry-run', '--out', str(out), '--data', str(data)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    runs = load_results(out)
    assert len(runs) == 2
    assert sorted((r_['config']['act'], r_['config']['arch']) for r_ in runs) == [('lightrelu', 'xresnet34_clean'),
                                                                                 ('relu', 'xresnet34')]
    for run in runs:
        cfg = RunConfig.from_dict(run['config'])
        assert (cfg.recipe, cfg.size, cfg.epochs, cfg.bs, cfg.lr) == ('nb11', 32, 1, 8, 1e-2)
        assert run['status'] == 'ok' and len(run['epochs']) == 1
        e = run['epochs'][0]
        assert math.isfinite(e['train_loss']) and math.isfinite(e['valid_loss']) and e['seconds'] > 0
        assert 0 <= run['final_accuracy'] <= 1 and run['final_accuracy'] == e['accuracy']
        assert run['env']['device'] == 'cpu' and set(run_env()) <= set(run['env'])
        assert run['pipeline']['name'] == gt.PIPELINE and run['pipeline']['concurrent_runs'] == 2
        assert run['final_stats'] and {'layer', 'mean', 'std'} <= set(run['final_stats'][0])
    assert len(results_table(runs)) == 2 and 'acc %' in r.stdout
    assert len((out / 'epochs.log').read_text().splitlines()) == 2
    lines = (out / 'results.jsonl').read_text()
    r2 = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert r2.returncode == 0 and '2 of 2 runs already in' in r2.stdout, r2.stdout[-2000:] + r2.stderr[-2000:]
    assert (out / 'results.jsonl').read_text() == lines


def test_a_folder_with_cpu_pipeline_runs_is_refused(tmp_path):
    store = ResultsStore(tmp_path)
    cfg = RunConfig.make('relu', data='imagenette', recipe='nb11', epochs=1, size=32, bs=8)
    rec = dict(version=RESULTS_VERSION, config=cfg.as_dict(), status='ok', error=None, epochs=[], seconds=1.,
               final_accuracy=.5, final_stats=[], env={}, deterministic=True)
    store.append({**rec, 'pipeline': {'name': gt.PIPELINE}})
    assert gt.done_keys(store) == {cfg.key}
    store.append(rec)                                                    # a CPU record: same config, other pipeline
    with pytest.raises(ValueError, match='another data pipeline'): gt.done_keys(store)


def test_plan_puts_every_configurations_seed_0_first():
    cfgs = gt.plan()
    assert len(cfgs) == 24 and len(set(c.key for c in cfgs)) == 24
    assert [c.seed for c in cfgs] == [0] * 8 + [1] * 8 + [2] * 8
    assert [(c.label, c.arch) for c in cfgs[:8]] == [(RunConfig.make(a).label, 'xresnet34') for a in gt.COURSE_ACTS] + \
           [('relu', 'xresnet34_clean'), ('lightrelu(maxv=16)', 'xresnet34_clean')]
    assert {(c.recipe, c.epochs, c.size, c.bs, c.lr, c.subset) for c in cfgs} == {('nb11', 12, 128, 64, 1e-2, None)}


def test_crop_mat_takes_exactly_the_drawn_pixels():
    x = torch.rand(2, 3, 16, 20)
    t = lambda v: torch.tensor(v, dtype=torch.float64)
    m = crop_mat(t([3., 0.]), t([5., 2.]), t([8., 8.]), t([6., 6.]), 20, 16, torch.tensor([False, True]))
    y = TensorImage(x).affine_coord(m, sz=(6, 8))
    torch.testing.assert_close(y[0], x[0, :, 5:11, 3:11], atol=1e-5, rtol=0)
    torch.testing.assert_close(y[1], x[1, :, 2:8, 0:8].flip(-1), atol=1e-5, rtol=0)


def test_crop_mats_draw_like_random_resized_crop():
    n, m = 4000, crop_mats(4000, 128, 128, torch.Generator().manual_seed(0), min_scale=0.35)
    sx, sy, cx, cy = m[:, 0, 0], m[:, 1, 1], m[:, 0, 2], m[:, 1, 2]
    assert ((cx.abs() + sx.abs()) <= 1 + 1e-5).all() and ((cy.abs() + sy.abs()) <= 1 + 1e-5).all()   # inside
    area = ((sx.abs() * 127 + 1) * (sy * 127 + 1)) / 128 ** 2
    assert area.min() > 0.34 and area.max() <= 1 and 0.6 < area.mean() < 0.72        # U(0.35, 1) less rejections
    ratio = (sx.abs() * 127 + 1) / (sy * 127 + 1)
    assert ratio.min() > 0.73 and ratio.max() < 1.36
    assert 0.45 < (sx < 0).float().mean() < 0.55                                      # flips, p=0.5


def test_valid_crop_is_fastais_centre_crop():
    "fastai's RandomResizedCrop on the validation set (resize to 40, centre-crop 32) vs the device's one grid_sample."
    ramp = np.linspace(0, 255, 64)
    a = np.stack([np.broadcast_to(ramp, (64, 64)), np.broadcast_to(ramp[:, None], (64, 64)), np.full((64, 64), 99.)],
                 -1)
    pil = Image.fromarray(a.round().astype(np.uint8))
    ref = torch.from_numpy(np.asarray(RandomResizedCrop(32, min_scale=0.35)(pil, split_idx=1))).permute(2, 0, 1) / 255.
    x = torch.from_numpy(np.asarray(pil)).permute(2, 0, 1)[None].float() / 255.
    ours = TensorImage(x).affine_coord(valid_mats(1, 32), sz=32)[0]
    whole = torch.nn.functional.interpolate(x, size=32, mode='bilinear', align_corners=True)[0]
    err, err_whole = (ours - ref).abs().mean().item(), (whole - ref).abs().mean().item()
    assert err < 0.01 and err_whole > 3 * err, (err, err_whole)


def small_net(act_cls, n_in, n_out):
    "Convolutions without bias before BatchNorm, as in XResNet (a bias there gets no gradient, only rounding noise)."
    return nn.Sequential(nn.Conv2d(n_in, 8, 3, 2, bias=False), nn.BatchNorm2d(8), act_cls(),
                         nn.Conv2d(8, 16, 3, 2, bias=False), nn.BatchNorm2d(16), act_cls(), nn.AdaptiveAvgPool2d(1),
                         Flatten(), nn.Linear(16, n_out))


def test_fused_adamw_is_the_recipes_adam():
    "fit_one_cycle with torch's AdamW in two groups gives fastai's Adam (wd not on BatchNorm/biases), step for step."
    x, y = synthetic(512)
    learns, init = [], None
    for opt, kw in ((gt.NB11_ADAM, {}), (gt.fused_adamw, dict(splitter=gt.wd_groups))):
        torch.manual_seed(0)
        learn = lisht_learner(synthetic_dls(x, y, 64), act='relu', arch=small_net, lr=1e-2, opt_func=opt, stats=False,
                              **kw)
        init = init or {k: v.detach().clone() for k, v in learn.model.named_parameters()}
        with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(3, 1e-2, pct_start=0.5)
        learns.append(dict(learn.model.named_parameters()))
    assert max((learns[0][k] - v).abs().max().item() for k, v in init.items()) > 1e-2      # the fits did train
    for k in init: torch.testing.assert_close(learns[1][k], learns[0][k], rtol=1e-4, atol=1e-5)


def test_tensor_loader_batches():
    x, y = torch.randint(0, 256, (20, 3, 40, 40), dtype=torch.uint8), torch.arange(20) % 2
    def loader(train, seed=1):
        dl = TensorImageDL(x, y, size=24, train=train, bs=8, vocab=['a', 'b'], channels_last=True)
        dl.rng = random.Random(seed); return dl
    tr, va = loader(True), loader(False)
    assert (len(tr), len(va), tr.c) == (2, 3, 2)                          # training drops the last partial batch
    bs = list(tr)
    assert [b[0].shape for b in bs] == [(8, 3, 24, 24)] * 2 and isinstance(bs[0][0], TensorImage)
    assert bs[0][0].is_contiguous(memory_format=torch.channels_last)
    xv = torch.cat([b[0] for b in va])
    assert xv.shape == (20, 3, 24, 24) and torch.equal(torch.cat([b[1] for b in va]), y)   # valid: all, in order
    mean, std = [torch.tensor(s).view(1, 3, 1, 1) for s in imagenet_stats]
    raw = xv * std + mean
    assert raw.min() >= -1e-5 and raw.max() <= 1 + 1e-5 and abs(raw.mean().item() - 0.5) < 0.05
    assert torch.equal(list(loader(True))[0][0], bs[0][0])                 # the loader's rng fixes order and crops
    assert not torch.equal(list(loader(True, seed=2))[0][0], bs[0][0])
    assert not torch.equal(bs[0][0], bs[1][0])
