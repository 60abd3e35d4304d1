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
- here: the library's tensor pipeline (`pipeline='tensor'`, `lisht_fastai.tensor_data.tensor_folder_dls`) on
  `imagenette2-128-webp` (the only copy small enough to travel), decoded once at `--px` (128) into a uint8 tensor
  that is cached and stays on the GPU; each batch is sliced from it and cropped (fastai's `RandomResizedCrop`
  distribution per image), flipped and normalised on the GPU, validation with fastai's centre crop. Crops come from
  128 px images, not 224 px ones, so a small crop is upsampled rather than downsampled (softer images). Training runs
  under bf16 autocast with channels_last (`precision='bf16'`), with
  the recipe's Adam as torch's fused AdamW (the same update: a test checks it against fastai's `Adam`), ActivationStats
  on every 10th batch (final_stats averages the last 10 recorded batches) and a guard on the smoothed training loss
  in place of NaNGuard's per-layer checks. `--procs` runs train at once, one process each (default 8).
Seconds per epoch are measured per run while `--procs` runs share the GPU; the summary also gives the wall time per
epoch of the whole table and the GPU's utilisation (nvidia-smi, sampled every second).
"""
import argparse, json, math, multiprocessing as mp, os, subprocess, tempfile, time, traceback
import warnings
from collections import Counter
from functools import partial
from pathlib import Path
warnings.filterwarnings('ignore', category=FutureWarning)
import numpy as np, torch
from fastai.callback.core import Callback
from fastai.optimizer import Adam, OptimWrapper
from fastai.torch_core import norm_bias_params
from lisht_fastai.all import *

COURSE_ACTS = ['relu', 'lightrelu(maxv=16)', 'generalrelu(leak=.1,sub=.4,maxv=6)', 'ftswish', 'lisht',
               'lightrelu(maxv=8)']
CLEAN_ACTS = ['relu', 'lightrelu(maxv=16)']
PIPELINE = 'gpu-uint8'

# --- the plan -------------------------------------------------------------------------------------------------------
def plan(course=COURSE_ACTS, clean=CLEAN_ACTS, seeds=3, epochs=12, size=128, bs=64, subset=None, precision='bf16',
         stats_every=10):
    "RunConfigs seed by seed (every configuration's seed 0 first): course block (xresnet34), then clean block."
    blocks = [('xresnet34', course), ('xresnet34_clean', clean)]
    return [RunConfig.make(a, seed=s, data='imagenette', recipe='nb11', arch=arch, epochs=epochs, size=size, bs=bs,
                           subset=subset, precision=precision, pipeline='tensor', stats_every=stats_every)
            for s in range(seeds) for arch, acts in blocks for a in acts]

# --- the data: the library's tensor pipeline (lisht_fastai.tensor_data.tensor_folder_dls) -----------------------------
def dry_subset(root):
    "The fraction of each class that leaves about 8 training images per class (the dry run's data)."
    _, files = image_folder_files(root)
    n = Counter(f.parent.name for f in files if Path(f).relative_to(root).parts[0] == 'train')
    return min(1., 8 / min(n.values()))

def run_dls(cfg, device, o):
    "The run's DataLoaders: Imagenette decoded once at `--px` (cached), crops and flips on `device`."
    return tensor_folder_dls(o['data'], size=cfg.size, bs=cfg.bs, subset=cfg.subset, seed=cfg.seed, device=device,
                             label_names=IMAGENETTE_CLASSES, src_px=o['px'], cache_dir=o['cache'])

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

def train_run(cfg, device, o, k=0):
    "Train `cfg` on the device pipeline and return its results record (run_one's fields, plus `pipeline`)."
    with seeded(cfg.seed, deterministic=False):
        torch.backends.cudnn.benchmark = device.type == 'cuda'
        dls = run_dls(cfg, device, o)
        fused = o['opt'] == 'fused'
        learn = lisht_learner(dls, act=cfg.act, act_kwargs=dict(cfg.act_kwargs), arch=cfg.arch, lr=cfg.lr,
                              opt_func=fused_adamw if fused else NB11_ADAM, stats=dict(every=cfg.stats_every),
                              **(dict(splitter=wd_groups) if fused else {}))
        learn.model.to(device=device)
        if cfg.precision == 'bf16': learn.to_bf16(channels_last=True)
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
    return dict(name=PIPELINE, source_px=o['px'], precision=o['precision'], channels_last=o['precision'] == 'bf16',
                opt='torch AdamW (fused on CUDA)' if o['opt'] == 'fused' else 'fastai Adam',
                stats_every=o['stats_every'],
                guard='smoothed training loss', concurrent_runs=o['procs'])

# --- workers -------------------------------------------------------------------------------------------------------
def say(o, line):
    print(f"[{time.time() - o['t0']:6.0f} s] {line}", flush=True)

def worker(k, cfgs, nxt, o):
    "Take the next configuration in plan order until none is left or the deadline would pass; train; append."
    torch.set_num_threads(o['threads'])
    device = torch.device(o['device'])
    if device.type == 'cuda': torch.cuda.set_device(device)
    store, last = ResultsStore(o['out']), None
    if k == 0: say(o, f"w0: {torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'}, torch "
                      f"{torch.__version__}")
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
                rec = train_run(cfg, device, o, k)
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
    a('--opt', choices=('fused', 'fastai'), default='fused'); a('--stats-every', type=int, default=10)
    a('--precision', choices=PRECISIONS, default='bf16'); a('--device', help="default: cuda if available")
    a('--cache', help="folder of the decoded-image cache (default ~/.cache/lisht_fastai)")
    a('--dry-run', action='store_true', help="about 8 training images a class, 32 px, 1 epoch, bs 8, two configs, 2 processes")
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
    if runs: print(table_text(runs, width=100))

def main(argv=None):
    t0 = time.time()
    args = options(argv)
    o = dict(vars(args), t0=t0, deadline=t0 + args.time_limit,
             threads=max(1, min(4, (os.cpu_count() or 1) // args.procs)))
    subset = dry_subset(args.data) if args.dry_run else None
    store = ResultsStore(args.out); store.read(repair=True)
    cfgs = plan(seeds=args.seeds, epochs=args.epochs, size=args.size, bs=args.bs, subset=subset,
                precision=args.precision, stats_every=args.stats_every,
                **(dict(course=['relu'], clean=['lightrelu(maxv=16)']) if args.dry_run else {}))
    done = done_keys(store)
    todo = [c for c in cfgs if c.key not in done]
    say(o, f"{len(cfgs) - len(todo)} of {len(cfgs)} runs already in {store.path}, {len(todo)} to run on {args.device}, "
           f"{args.procs} at once; data {args.data}")
    log, util = Path(args.out) / 'epochs.log', []
    o['log0'] = len(log.read_text().splitlines()) if log.exists() else 0
    if todo:
        d = decoded_images(args.data, args.px, args.cache)     # once, here, before the workers read the cache
        say(o, f"images decoded: {len(d['files'])} at {args.px} px")
        n_train = sum(f.startswith('train/') for f in d['files'])
        os.environ.setdefault('TORCHINDUCTOR_COMPILE_THREADS', '1')     # no compile pool per worker process
        util = run_workers(o, todo)
    summary(o, util, todo, n_train if todo else 0)

if __name__ == '__main__': main()
