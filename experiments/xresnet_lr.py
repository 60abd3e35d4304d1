"""Claim 5 of issue 14: a measured learning rate per activation for XResNet34 on Imagenette (64 px).

    python experiments/xresnet_lr.py                 # resumable; appends to experiments/xresnet_lr/lr_find.jsonl

fastai's `lr_find` (100 batches, lr from 1e-7 to 10, exponential) with the course's notebook-11 optimiser (Adam,
eps 1e-6, wd 1e-2), seed 0, on the full training set, for each activation in both blocks. Each line keeps the four
suggestions fastai computes (valley, slide, steep, minimum/10) and the smoothed loss curve, so nbs/11 can plot it.
"""
import json, sys, time, warnings
from functools import partial
from pathlib import Path
warnings.filterwarnings('ignore')
import torch
from fastai.optimizer import Adam
from fastai.callback.schedule import valley, slide, steep, minimum
from lisht_fastai.registry import resolve_act, parse_act
from lisht_fastai.folders import imagenette_dls
from lisht_fastai.learner import lisht_learner
from lisht_fastai.runs import seeded

OUT = Path(__file__).parent / 'xresnet_lr' / 'lr_find.jsonl'
ACTS = ['relu', 'lightrelu(maxv=16)', 'generalrelu(leak=.1,sub=.4,maxv=6)', 'ftswish', 'lightrelu(maxv=8)', 'lisht']
ARCHS = ['xresnet34_clean', 'xresnet34']


def done():
    if not OUT.exists(): return set()
    return {(r['act'], r['arch']) for r in map(json.loads, OUT.read_text().splitlines()) if r}


def main():
    OUT.parent.mkdir(parents=True, exist_ok=True)
    have = done()
    for arch in ARCHS:
        for spec in ACTS:
            if (spec, arch) in have: continue
            name, kw = parse_act(spec)
            with seeded(0):
                dls = imagenette_dls(size=64, bs=64, seed=0)
                learn = lisht_learner(dls, act=name, act_kwargs=kw, arch=arch, stats=False,
                                      opt_func=partial(Adam, mom=0.9, sqr_mom=0.99, eps=1e-6, wd=1e-2))
                t0 = time.perf_counter()
                with learn.no_bar(), learn.no_logging():
                    sug = learn.lr_find(num_it=100, suggest_funcs=(valley, slide, steep, minimum), show_plot=False)
            rec = dict(act=spec, arch=arch, seed=0, size=64, bs=64, num_it=100, seconds=time.perf_counter() - t0,
                       suggestions={k: float(v) for k, v in sug._asdict().items()},
                       lrs=[float(x) for x in learn.recorder.lrs], losses=[float(x) for x in learn.recorder.losses],
                       torch=torch.__version__)
            with OUT.open('a') as f: f.write(json.dumps(rec) + '\n')
            print(f"{arch:16s} {spec:38s} " + ' '.join(f"{k} {v:.2e}" for k, v in rec['suggestions'].items()), flush=True)


if __name__ == '__main__':
    sys.exit(main())
