"""Shared test fixtures, the way fastai keeps `test_utils.synth_learner` apart from the library: synthetic MNIST-shaped
data, a hook counter, and a callback that raises at a chosen batch."""
import torch
from fastai.callback.core import Callback
from fastai.data.core import DataLoaders
from lisht_fastai.data import TensorItems, TensorDL


def synthetic(n, seed=0):
    "n learnable 1x28x28 images with labels 0-9: the class shifts the mean."
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    return torch.randn(n, 1, 28, 28, generator=g) * 0.3 + y[:, None, None, None] / 10 - 0.4, y


def synthetic_dls(x, y, bs):
    "Unshuffled CPU DataLoaders over (x, y); the first 64 items double as the validation set."
    vocab, kw = [str(i) for i in range(10)], dict(num_workers=0, device='cpu', shuffle=False)
    return DataLoaders(TensorDL(TensorItems(x, y, vocab), bs=bs, **kw),
                       TensorDL(TensorItems(x[:64], y[:64], vocab), bs=64, **kw), device='cpu')


def n_hooks(model):
    "Forward, forward-pre and backward hooks registered anywhere in `model`."
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks) for m in model.modules())


class Boom(Callback):
    "Raise `exc` after the loss of training batch `at`."
    def __init__(self, at, exc): self.at, self.exc = at, exc
    def after_loss(self):
        if self.training and self.train_iter == self.at: raise self.exc


def fit_quietly(learn, n=1, **kwargs):
    "`learn.fit(n)` without progress bars or logging."
    with learn.no_bar(), learn.no_logging(): learn.fit(n, **kwargs)
