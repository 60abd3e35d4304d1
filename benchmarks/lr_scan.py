"""Scan max learning rates of `fit_one_cycle` per activation on the nb06 CNN (MNIST).

Prints final valid accuracy per (activation, lr): the measurement behind `learner.SUGGESTED_LR['nb06']`.
    python benchmarks/lr_scan.py                      # lisht_learner's default optimiser (Adam, wd 1e-2), ~2 min
    python benchmarks/lr_scan.py --opt sgd --lrs 0.1,0.2,0.4,0.8,1.6   # the course's plain SGD
"""
import argparse, torch
from fastai.optimizer import SGD, Adam
from lisht_fastai.data import mnist_dls
from lisht_fastai.learner import lisht_learner

p = argparse.ArgumentParser()
p.add_argument('--acts', default='relu,lightrelu,lisht')
p.add_argument('--lrs', default='0.003,0.01,0.03,0.1')
p.add_argument('--opt', default='adam', choices=['adam', 'sgd'])
p.add_argument('--epochs', type=int, default=1)
p.add_argument('--seed', type=int, default=0)
a = p.parse_args()
lrs = [float(x) for x in a.lrs.split(',')]
print(f"nb06 CNN, MNIST, {a.epochs} epoch(s) fit_one_cycle, {a.opt}, seed {a.seed}: valid accuracy")
print(f"{'activation':12s}" + ''.join(f"{lr:>8g}" for lr in lrs))
for act in a.acts.split(','):
    row = []
    for lr in lrs:
        torch.manual_seed(a.seed)
        learn = lisht_learner(mnist_dls(seed=a.seed), act=act, stats=False, opt_func=Adam if a.opt == 'adam' else SGD)
        with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(a.epochs, lr)
        row.append(learn.recorder.values[-1][2])
    print(f"{act:12s}" + ''.join(f"{v:8.4f}" for v in row), flush=True)
