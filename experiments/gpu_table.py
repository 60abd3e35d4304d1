"""Issue 23, part 3: the thread's whole XResNet34 table on one GPU, in one command of at most 9 minutes.

    python3 experiments/gpu_table.py --out results/gpu_table          # the table (resumable: finished runs are skipped)
    python3 experiments/gpu_table.py --dry-run                        # the same code on the CPU, a tiny subset

What it runs: Imagenette at 128 px, 12 epochs, the course's notebook-11 recipe (`recipe='nb11'`: XResNet34,
label-smoothing cross-entropy, Adam mom .9 / sqr_mom .99 / eps 1e-6 / wd 1e-2 (none on BatchNorm and biases),
`fit_one_cycle(12, 1e-2, pct_start=0.5)`, batch size 64), in the course's block for ReLU, LightRelu(maxv=16),
GeneralRelu(.1, .4, 6), FTSwish, raw LiSHT and LightRelu(maxv=8), and in the clean block for ReLU and
LightRelu(maxv=16), three seeds each: seed 0 of every configuration first, so a run cut short still gives a one-seed
table. Each finished run is appended to `OUT/results.jsonl` as the library's runner writes it (`RunConfig`,
`ResultsStore`, `run_env`), so `load_results` and `results_table` read it; every record also says `pipeline`
(below) and its device.

The data pipeline differs from the CPU one (`lisht-compare imagenette`, `imagenette_dls`):
- CPU: fastai item transforms on PIL images read from disk every epoch by loader workers: `RandomResizedCrop(128,
  min_scale=0.35)` per image (for validation: resize to 152, centre-crop 128), `FlipItem(0.5)`, then `Normalize` with
  Imagenet stats on the batch; from whichever Imagenette copy `find_data` finds (`imagenette2-224` here).
- here: `imagenette2-128-webp` (the only copy small enough to travel) decoded once with PIL in a process pool into a
  uint8 tensor (cached as a .pt file) that stays on the GPU. Each batch is sliced from it and cropped, flipped and
  normalised on the GPU: the same per-image crop draw as fastai's `RandomResizedCrop` (area fraction in [0.35, 1],
  ratio in [3/4, 4/3], 10 tries, then the whole image) and a flip with p=0.5, applied as one affine `grid_sample`
  per batch through fastai's `affine_coord`; validation takes the same centre crop as fastai's (val_xtra 0.14).
  `--crop batch` uses fastai's `RandomResizedCropGPU` as it is, which draws one crop per batch, not per image.
  Crops come from 128 px images, not 224 px ones, so a small crop is upsampled rather than downsampled (softer
  images); bilinear `grid_sample` replaces PIL's resize. Training runs under bf16 autocast with channels_last, with
  the recipe's Adam as torch's fused AdamW (the same update: a test checks it against fastai's `Adam`), ActivationStats
  on every 10th batch (final_stats averages the last 10 recorded batches) and a guard on the smoothed training loss
  in place of NaNGuard's per-layer checks. `--procs` runs train at once, one process each (default 8).
Seconds per epoch are measured per run while `--procs` runs share the GPU; the summary also gives the wall time per
epoch of the whole table and the GPU's utilisation (nvidia-smi, sampled every second).
"""
import argparse, hashlib, json, math, multiprocessing as mp, os, random, subprocess, tempfile, time, traceback
import warnings
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
warnings.filterwarnings('ignore', category=FutureWarning)
import numpy as np, torch
from PIL import Image
from fastai.callback.core import Callback
from fastai.data.load import DataLoader
from fastai.data.core import DataLoaders
from fastai.data.transforms import get_image_files
from fastai.optimizer import Adam, OptimWrapper
from fastai.torch_core import norm_bias_params, TensorImage
from fastai.vision.core import imagenet_stats
from fastai.vision.augment import RandomResizedCropGPU
from lisht_fastai.all import *

COURSE_ACTS = ['relu', 'lightrelu(maxv=16)', 'generalrelu(leak=.1,sub=.4,maxv=6)', 'ftswish', 'lisht',
               'lightrelu(maxv=8)']
CLEAN_ACTS = ['relu', 'lightrelu(maxv=16)']
PIPELINE = 'gpu-uint8'

# --- the plan -------------------------------------------------------------------------------------------------------
def plan(course=COURSE_ACTS, clean=CLEAN_ACTS, seeds=3, epochs=12, size=128, bs=64, subset=None):
    "RunConfigs seed by seed (every configuration's seed 0 first): course block (xresnet34), then clean block."
    blocks = [('xresnet34', course), ('xresnet34_clean', clean)]
    return [RunConfig.make(a, seed=s, data='imagenette', recipe='nb11', arch=arch, epochs=epochs, size=size, bs=bs,
                           subset=subset) for s in range(seeds) for arch, acts in blocks for a in acts]

# --- the data, decoded once ----------------------------------------------------------------------------------------
def data_files(root, per_class=None):
    "Sorted train+val image files of an Imagenette folder, its classes; `per_class`: the first n (train), n/2 (val)."
    classes = check_imagenette(root)
    files = sorted(get_image_files(root, folders=['train', 'val']))
    if per_class is None: return files, classes, None
    keep, counts = [], {}
    for f in files:
        k = (f.parent.parent.name, f.parent.name)
        if f.parent.name in classes[:2] and counts.get(k, 0) < (per_class if k[0] == 'train' else per_class // 2):
            keep.append(f); counts[k] = counts.get(k, 0) + 1
    return keep, classes, len(keep) / len(files)

def _decode(args):
    fs, px = args
    out = np.empty((len(fs), 3, px, px), np.uint8)
    for i, f in enumerate(fs):
        try:
            with Image.open(f) as im0: im = im0.convert('RGB')
        except Exception as e: raise ValueError(f"cannot read image {f}: {type(e).__name__}: {e}") from None
        if im.size != (px, px): im = im.resize((px, px), Image.BICUBIC)   # squash, as the 128 px set was made
        out[i] = np.asarray(im).transpose(2, 0, 1)
    return out

def cached_images(files, classes, px=128, cache_dir=None, workers=None):
    "Decode `files` once into uint8 (N,3,px,px), labels and a valid flag; cache them as a .pt file and return its path."
    tag = hashlib.md5('\n'.join(f"{f}:{f.stat().st_size}" for f in files).encode() + str(px).encode()).hexdigest()
    cache = Path(cache_dir or Path.home() / '.cache' / 'lisht_fastai') / f"imagenette_{px}px_{tag[:12]}.pt"
    if cache.exists(): return cache
    workers = workers or min(16, os.cpu_count() or 1)
    chunks = [(files[i:i + 64], px) for i in range(0, len(files), 64)]
    with ProcessPoolExecutor(workers, mp_context=mp.get_context('fork')) as ex:
        x = np.concatenate(list(ex.map(_decode, chunks)))
    y = torch.tensor([classes.index(f.parent.name) for f in files])
    valid = torch.tensor([f.parent.parent.name == 'val' for f in files])
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f'.tmp{os.getpid()}')
    torch.save(dict(x=torch.from_numpy(x), y=y, valid=valid, classes=classes), tmp); os.replace(tmp, cache)
    return cache

# --- augmentation on the device -------------------------------------------------------------------------------------
def crop_mats(n, h, w, gen, min_scale=0.35, ratio=(3/4, 4/3), flip_p=0.5):
    "(n,2,3) affine matrices: fastai's RandomResizedCrop draw per image (align_corners coordinates), and a flip."
    area = (torch.rand(n, 10, generator=gen, dtype=torch.float64) * (1 - min_scale) + min_scale) * w * h
    lr = math.log(ratio[0]), math.log(ratio[1])
    r = torch.exp(torch.rand(n, 10, generator=gen, dtype=torch.float64) * (lr[1] - lr[0]) + lr[0])
    nw, nh = torch.round(torch.sqrt(area * r)), torch.round(torch.sqrt(area / r))
    ok = (nw <= w) & (nh <= h)
    first, found = ok.double().argmax(1), ok.any(1)
    ar = torch.arange(n)
    fw, fh = (w, int(w / ratio[0])) if w / h < ratio[0] else (int(h * ratio[1]), h) if w / h > ratio[1] else (w, h)
    nw, nh = torch.where(found, nw[ar, first], float(fw)), torch.where(found, nh[ar, first], float(fh))
    u = torch.rand(n, 2, generator=gen, dtype=torch.float64)
    left = torch.where(found, torch.floor(u[:, 0] * (w - nw + 1)), torch.floor((w - nw) / 2))
    top = torch.where(found, torch.floor(u[:, 1] * (h - nh + 1)), torch.floor((h - nh) / 2))
    return crop_mat(left, top, nw, nh, w, h, torch.rand(n, generator=gen) < flip_p)

def crop_mat(left, top, nw, nh, w, h, flip):
    "(n,2,3) matrices that take pixels [top, top+nh) x [left, left+nw) of an (h,w) image (flipped where `flip`)."
    m = torch.zeros(len(left), 2, 3, dtype=torch.float64)
    m[:, 0, 0] = (nw - 1) / (w - 1) * torch.where(flip, -1., 1.)
    m[:, 1, 1] = (nh - 1) / (h - 1)
    m[:, 0, 2], m[:, 1, 2] = (2 * left + nw - 1) / (w - 1) - 1, (2 * top + nh - 1) / (h - 1) - 1
    return m.float()

def valid_mats(n, size, val_xtra=0.14):
    "fastai's validation crop: resize to size+xtra, centre-crop size; as (n,2,3) matrices."
    xtra = math.ceil(size * val_xtra / 8) * 8
    z = (size - 1) / (size + xtra - 1)
    return torch.tensor([[z, 0., 0.], [0., z, 0.]]).repeat(n, 1, 1)

class DeviceImageDL(DataLoader):
    "Batches sliced from uint8 images (N,3,H,W) on their device, then cropped, flipped and normalised there."
    def __init__(self, x, y, size, train, bs, vocab, seed=0, min_scale=0.35, crop='item', channels_last=True):
        super().__init__(bs=bs, shuffle=train, drop_last=train, indexed=True, n=len(x), device=x.device)
        self.x, self.y, self.size, self.train, self.min_scale, self.crop = x, y, size, train, min_scale, crop
        self.vocab, self.c, self.cl = vocab, len(vocab), channels_last
        self.gen, self.rng = torch.Generator().manual_seed(seed), random.Random(seed)    # crops; order (as seed_dls)
        self.mean, self.std = [torch.tensor(s, device=x.device).view(1, 3, 1, 1) for s in imagenet_stats]
        self.rrc = RandomResizedCropGPU(size, min_scale=min_scale) if crop == 'batch' else None

    def create_batches(self, samps):
        for idx in self.chunkify(samps):
            i = torch.as_tensor(idx).to(self.x.device, non_blocking=True)
            yield self.augment(self.x[i].float().div_(255)), self.y[i]

    def augment(self, xb):
        n, _, h, w = xb.shape
        if self.train and self.crop == 'batch':      # fastai's RandomResizedCropGPU: one crop for the whole batch
            xb = self.rrc(TensorImage(xb), split_idx=0)
            flip = (torch.rand(n, generator=self.gen) < 0.5).to(xb.device).view(n, 1, 1, 1)
            xb = torch.where(flip, xb.flip(-1), xb)
        else:
            m = crop_mats(n, h, w, self.gen, self.min_scale) if self.train else valid_mats(n, self.size)
            xb = TensorImage(xb).affine_coord(m.to(xb.device), sz=self.size)
        xb = ((xb - self.mean) / self.std).as_subclass(torch.Tensor)
        return xb.contiguous(memory_format=torch.channels_last) if self.cl else xb

def device_dls(data, cfg, device, crop='item'):
    "DataLoaders over the images in `data` (on `device`) for the run `cfg`."
    kw = dict(size=cfg.size, bs=cfg.bs, vocab=[IMAGENETTE_CLASSES.get(c, c) for c in data['classes']], seed=cfg.seed,
              crop=crop)
    dls = DataLoaders(DeviceImageDL(*data['train'], train=True, **kw),
                      DeviceImageDL(*data['valid'], train=False, **{**kw, 'bs': 4 * cfg.bs}), device=device)
    return seed_dls(dls, cfg.seed)

# --- the recipe ----------------------------------------------------------------------------------------------------
def wd_groups(m):
    "Two parameter groups: weights, then BatchNorm parameters and biases (no weight decay: fastai's wd_bn_bias=False)."
    nb = {id(p) for p in norm_bias_params(m)}
    ps = [p for p in m.parameters() if p.requires_grad]
    return [[p for p in ps if id(p) not in nb], [p for p in ps if id(p) in nb]]

def fused_adamw(params, lr):
    "The nb11 recipe's Adam (mom .9, sqr_mom .99, eps 1e-6, decoupled wd 1e-2) as torch's AdamW, fused on CUDA."
    groups = [{'params': list(g), 'weight_decay': wd} for g, wd in zip(params, (1e-2, 0.))]
    fused = all(p.is_cuda for g in groups for p in g['params'])
    return OptimWrapper(opt=torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.99), eps=1e-6, fused=fused or None))

NB11_ADAM = partial(Adam, mom=0.9, sqr_mom=0.99, eps=1e-6, wd=1e-2)    # the library's nb11 recipe (compare.py)

class LossGuard(Callback):
    "Raise NonFiniteError when the smoothed training loss (already on the CPU, from the Recorder) is not finite."
    order = 55
    def after_batch(self):
        if self.training and not math.isfinite(float(self.learn.smooth_loss)):
            raise NonFiniteError(f"non-finite training loss at epoch {self.epoch}, batch {self.iter} of {self.n_iter}")

def gpu_util():
    "(utilisation %, memory used MiB) of GPU 0 from nvidia-smi, else torch.cuda.utilization(); None if neither."
    try:
        r = subprocess.run(['nvidia-smi', '--id=0', '--query-gpu=utilization.gpu,memory.used',
                            '--format=csv,noheader,nounits'], capture_output=True, text=True, timeout=5)
        u, m = r.stdout.strip().splitlines()[0].split(',')
        return float(u), float(m)
    except Exception: pass
    try: return float(torch.cuda.utilization(0)), float('nan')
    except Exception: return None

class EpochReport(Callback):
    "After each epoch: one line to OUT/epochs.log (and stdout with --verbose) and a GPU utilisation sample."
    order = 62
    def __init__(self, cfg, log, o, k): self.cfg, self.log, self.o, self.k, self.util = cfg, log, o, k, []
    def after_epoch(self):
        if not self.log.rows: return
        r, u = self.log.rows[-1], gpu_util() if self.o['device'].startswith('cuda') else None
        self.util.append(None if u is None else u[0])
        line = (f"w{self.k} {self.cfg.label} {self.cfg.arch} seed {self.cfg.seed} epoch {r['epoch'] + 1}/"
                f"{self.cfg.epochs}: train {r['train_loss']:.4f} valid {r['valid_loss']:.4f} acc {r['accuracy']:.4f} "
                f"{r['seconds']:.1f} s" + ('' if u is None else f", GPU {u[0]:.0f}%"))
        with open(Path(self.o['out']) / 'epochs.log', 'a') as f: f.write(line + '\n')
        if self.o['verbose']: print(line, flush=True)

def train_run(cfg, data, device, o, k=0):
    "Train `cfg` on the device pipeline and return its results record (run_one's fields, plus `pipeline`)."
    with seeded(cfg.seed, deterministic=False):
        torch.backends.cudnn.benchmark = device.type == 'cuda'
        dls = device_dls(data, cfg, device, o['crop'])
        fused = o['opt'] == 'fused'
        learn = lisht_learner(dls, act=cfg.act, act_kwargs=dict(cfg.act_kwargs), arch=cfg.arch, lr=cfg.lr,
                              opt_func=fused_adamw if fused else NB11_ADAM, stats=dict(every=o['stats_every']),
                              precision=o['precision'], **(dict(splitter=wd_groups) if fused else {}))
        learn.model.to(device=device, memory_format=torch.channels_last)
        log = EpochLog(); rep = EpochReport(cfg, log, o, k)
        learn.add_cbs([LossGuard(), log, rep])
        status, error, t0 = 'ok', None, time.perf_counter()
        try:
            with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(cfg.epochs, cfg.lr, pct_start=0.5)
        except NonFiniteError as e: status, error = 'diverged', str(e)
        secs = time.perf_counter() - t0
    st = learn.activation_stats
    env = {**run_env(dls, device), 'data_path': o['data'], 'kernels': kernel_mode()}
    env['git'] = env['git'] or os.environ.get('LISHT_GIT')
    return dict(version=RESULTS_VERSION, config=cfg.as_dict(), status=status, error=error, epochs=log.rows,
                seconds=secs, final_accuracy=log.rows[-1]['accuracy'] if log.rows and status == 'ok' else None,
                final_stats=st.final_stats().reset_index(names='layer').to_dict('records') if len(st.records) else [],
                env=env, deterministic=False, pipeline=pipeline_info(o), gpu_util=rep.util)

def pipeline_info(o):
    return dict(name=PIPELINE, source_px=o['px'], crop=o['crop'], precision=o['precision'], channels_last=True,
                opt='torch AdamW (fused on CUDA)' if o['opt'] == 'fused' else 'fastai Adam',
                stats_every=o['stats_every'],
                guard='smoothed training loss', concurrent_runs=o['procs'])

# --- workers -------------------------------------------------------------------------------------------------------
def load_data(cache, device):
    "The cached images on `device`: {'train': (x, y), 'valid': (x, y), 'classes': [...]}."
    d = torch.load(cache, weights_only=True, mmap=True)
    v, on = d['valid'], lambda t: t.to(device)
    return dict(train=(on(d['x'][~v]), on(d['y'][~v])), valid=(on(d['x'][v]), on(d['y'][v])), classes=d['classes'])

def say(o, line):
    print(f"[{time.time() - o['t0']:6.0f} s] {line}", flush=True)

def worker(k, cfgs, nxt, o):
    "Take the next configuration in plan order until none is left or the deadline would pass; train; append."
    torch.set_num_threads(o['threads'])
    device = torch.device(o['device'])
    if device.type == 'cuda': torch.cuda.set_device(device)
    data, store, last = load_data(o['cache'], device), ResultsStore(o['out']), None
    if k == 0: say(o, f"w0: {torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'}, torch "
                      f"{torch.__version__}, {len(data['train'][0])} + {len(data['valid'][0])} images on the device")
    while True:
        with nxt.get_lock(): i = nxt.value; nxt.value += 1
        if i >= len(cfgs): return
        cfg = RunConfig.from_dict(cfgs[i])
        if last is not None and time.time() + last > o['deadline']:
            say(o, f"w{k}: {cfg.label} {cfg.arch} seed {cfg.seed} not started: it would end after the time limit")
            continue
        try:
            with store.run_lock(cfg):
                if cfg.key in done_keys(store): continue
                rec = train_run(cfg, data, device, o, k)
                store.append(rec)
        except Exception as e:     # one failed run must not stop the table: say so, keep the traceback, go on
            with open(Path(o['out']) / 'errors.log', 'a') as f: f.write(f"{cfg.key}\n{traceback.format_exc()}\n")
            say(o, f"w{k}: {cfg.label} {cfg.arch} seed {cfg.seed} FAILED: {type(e).__name__}: {str(e)[:300]} "
                   f"(traceback in errors.log)")
            continue
        last = rec['seconds']
        res = f"accuracy {rec['final_accuracy']:.4f}" if rec['status'] == 'ok' else rec['status']
        say(o, f"w{k}: {cfg.label} {cfg.arch} seed {cfg.seed}: {res}, {rec['seconds'] / max(1, len(rec['epochs'])):.1f}"
               f" s/epoch ({rec['seconds']:.0f} s)")

def done_keys(store):
    "Keys of the runs in `store`; refuses a folder holding runs of another data pipeline (their keys would clash)."
    recs = store.read()
    other = [r for r in recs if (r.get('pipeline') or {}).get('name') != PIPELINE]
    if other: raise ValueError(f"{store.path} holds {len(other)} runs of another data pipeline (e.g. the CPU's): "
                               f"their configs would count as done here. Choose another --out folder.")
    return {RunConfig.from_dict(r['config']).key for r in recs}

# --- the command ---------------------------------------------------------------------------------------------------
def parser():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    a = p.add_argument
    a('--out', help="results folder (results.jsonl, epochs.log, summary.json); --dry-run: a new temporary folder")
    a('--data', help="Imagenette folder; default: imagenette2-128-webp by find_data ($LISHT_DATA, ../shared/data)")
    a('--seeds', type=int, default=3); a('--epochs', type=int, default=12); a('--size', type=int, default=128)
    a('--bs', type=int, default=64); a('--px', type=int, default=128, help="side of the decoded images")
    a('--procs', type=int, help="runs training at once (default: 8 on a GPU, 1 on the CPU; --dry-run 2)")
    a('--time-limit', type=float, default=510., help="seconds from start: then stop, keep what finished, print table")
    a('--crop', choices=('item', 'batch'), default='item', help="per-image crops, or fastai's RandomResizedCropGPU")
    a('--opt', choices=('fused', 'fastai'), default='fused'); a('--stats-every', type=int, default=10)
    a('--precision', choices=('bf16', 'fp16'), default='bf16'); a('--device', help="default: cuda if available")
    a('--cache', help="folder of the decoded-image cache (default ~/.cache/lisht_fastai)")
    a('--dry-run', action='store_true', help="2 classes x 8+4 images, 32 px, 1 epoch, bs 8, two configs, 2 processes")
    a('--verbose', action='store_true', help="print every epoch (always in OUT/epochs.log)")
    return p

def options(argv=None):
    "Parsed arguments with the dry run's settings applied; (args, configs, per_class)."
    args = parser().parse_args(argv)
    if args.dry_run:
        args.out = args.out or tempfile.mkdtemp(prefix='gpu_table_dry_')
        args.cache = args.cache or str(Path(args.out) / 'cache')
        args.size, args.epochs, args.bs, args.seeds, args.procs = 32, 1, 8, 1, args.procs or 2
    if not args.out: raise SystemExit("gpu_table: give --out FOLDER (or --dry-run)")
    args.device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    args.procs = args.procs or (8 if args.device.startswith('cuda') else 1)
    args.data = str(find_data(['imagenette2-128-webp'], args.data, None, 'Imagenette (128 px WebP)'))
    return args

def status(o, n_todo, util):
    log = Path(o['out']) / 'epochs.log'
    n_ep = (len(log.read_text().splitlines()) if log.exists() else 0) - o['log0']
    u = [s[1] for s in util[-30:]]
    n_runs = len(ResultsStore(o['out']).read())
    say(o, f"{n_runs} runs in the results file, {n_ep}/{n_todo * o['epochs']} epochs of this call done" +
        (f", GPU {np.mean(u):.0f}% (last 30 s), {util[-1][2] / 1024:.1f} GiB" if u else ''))
    return n_ep

def run_workers(o, todo):
    "Start the worker processes over `todo`; sample the GPU; stop them at the deadline; return the samples."
    ctx = mp.get_context('spawn')
    nxt = ctx.Value('i', 0)
    ps = [ctx.Process(target=worker, args=(k, [c.as_dict() for c in todo], nxt, o)) for k in range(o['procs'])]
    for p in ps: p.start()
    util, t_last = [], time.time()
    while any(p.is_alive() for p in ps) and time.time() < o['deadline']:
        time.sleep(1)
        u = gpu_util() if o['device'].startswith('cuda') else None
        if u is not None: util.append((time.time() - o['t0'], *u))
        if time.time() - t_last >= 30: status(o, len(todo), util); t_last = time.time()
    if any(p.is_alive() for p in ps): say(o, "time limit reached: stopping the runs still training")
    for p in ps:
        if p.is_alive(): p.terminate()
        p.join(10)
    return util

def summary(o, util, todo, n_train):
    "Print the results table, seconds per epoch and GPU utilisation of this call; write them to OUT/summary.json."
    runs = load_results(o['out']) if (Path(o['out']) / 'results.jsonl').exists() else []
    keys, wall = {c.key for c in todo}, time.time() - o['t0']
    now = [r for r in runs if RunConfig.from_dict(r['config']).key in keys]
    eps = [e['seconds'] for r in now for e in r['epochs']]
    s = dict(runs=len(runs), trained_now=len(now), planned_now=len(todo), wall_s=wall, procs=o['procs'],
             epochs_now=len(eps), s_per_epoch_per_run=float(np.mean(eps)) if eps else None,
             wall_s_per_epoch=wall / len(eps) if eps else None,
             train_images_per_wall_s=len(eps) * n_train / wall,
             gpu_util_mean=float(np.mean([u[1] for u in util])) if util else None,
             gpu_mem_max_mib=float(np.nanmax([u[2] for u in util])) if util else None)
    (Path(o['out']) / 'summary.json').write_text(json.dumps(s, indent=1))
    print(f"\n{len(runs)} runs in {o['out']}/results.jsonl; this call trained {s['trained_now']} of {len(todo)} in "
          f"{wall:.0f} s, {o['procs']} at once")
    if eps: print(f"seconds per epoch: {s['s_per_epoch_per_run']:.1f} per run (sharing the device); "
                  f"{s['wall_s_per_epoch']:.2f} s of this call's wall time per epoch; "
                  f"{s['train_images_per_wall_s']:.0f} training images/s")
    if util: print(f"GPU utilisation (nvidia-smi): mean {s['gpu_util_mean']:.0f}% over {len(util)} samples, "
                   f"memory up to {s['gpu_mem_max_mib'] / 1024:.1f} GiB")
    if runs:
        print(format_table(results_table(runs)).to_string())
        for n in table_notes(runs): print(n)

def main(argv=None):
    t0 = time.time()
    args = options(argv)
    o = dict(vars(args), t0=t0, deadline=t0 + args.time_limit,
             threads=max(1, min(4, (os.cpu_count() or 1) // args.procs)))
    files, classes, subset = data_files(args.data, 8 if args.dry_run else None)
    store = ResultsStore(args.out); store.read(repair=True)
    cfgs = plan(seeds=args.seeds, epochs=args.epochs, size=args.size, bs=args.bs, subset=subset,
                **(dict(course=['relu'], clean=['lightrelu(maxv=16)']) if args.dry_run else {}))
    done = done_keys(store)
    todo = [c for c in cfgs if c.key not in done]
    say(o, f"{len(cfgs) - len(todo)} of {len(cfgs)} runs already in {store.path}, {len(todo)} to run on {args.device}, "
           f"{args.procs} at once; data {args.data} ({len(files)} images)")
    log, util = Path(args.out) / 'epochs.log', []
    o['log0'] = len(log.read_text().splitlines()) if log.exists() else 0
    if todo:
        o['cache'] = str(cached_images(files, classes, args.px, args.cache))
        say(o, f"images decoded: {o['cache']}")
        os.environ.setdefault('TORCHINDUCTOR_COMPILE_THREADS', '1')     # no compile pool per worker process
        util = run_workers(o, todo)
    summary(o, util, todo, sum(f.parent.parent.name == 'train' for f in files))

if __name__ == '__main__': main()
