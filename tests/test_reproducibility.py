"""A seed means a run: the same seed on the same machine gives the same per-epoch losses and accuracies to the last bit,
through `compare()` and through the `lisht-compare` command, on MNIST and on Imagenette (whose augmentation runs in
DataLoader workers); another seed gives another run."""
import os, subprocess, sys
from pathlib import Path
import pytest
from lisht_fastai.compare import compare
from lisht_fastai.report import load_results

TINY_INETTE = dict(epochs=1, size=32, subset=0.02, bs=16, arch='xresnet18', num_workers=2)


def curves(runs): return [[(e['train_loss'], e['valid_loss'], e['accuracy']) for e in r['epochs']] for r in runs]


def test_imagenette_seed_reproduces_in_compare(tmp_path):
    a = compare('relu', 'imagenette', seeds=[3], out=tmp_path / 'a', show='none', **TINY_INETTE)
    b = compare('relu', 'imagenette', seeds=[3], out=tmp_path / 'b', show='none', **TINY_INETTE)
    c = compare('relu', 'imagenette', seeds=[4], out=tmp_path / 'c', show='none', **TINY_INETTE)
    assert curves(a) == curves(b), "one seed, two different Imagenette runs"
    assert curves(a) != curves(c), "two seeds, one run: the seed does not reach the training"
    env = a[0]['env']
    assert env['workers'] == 2 and env['threads'] >= 1 and env['torch'] and env['fastai'] and env['device'] == 'cpu'


def _cli(*args):
    exe = Path(sys.executable).parent / 'lisht-compare'
    r = subprocess.run([str(exe), *args], capture_output=True, text=True, env=os.environ)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


@pytest.mark.parametrize('data,extra', [('mnist', ['--acts', 'lightrelu', '--epochs', '2']),
                                        ('imagenette', ['--acts', 'relu', '--epochs', '1', '--size', '32', '--subset', '0.02',
                                                        '--bs', '16', '--arch', 'xresnet18', '--workers', '2'])])
def test_seed_reproduces_in_the_cli(tmp_path, data, extra):
    for o in 'ab': _cli(data, *extra, '--seeds', '1', '--out', str(tmp_path / o))
    a, b = (load_results(tmp_path / o) for o in 'ab')
    assert len(a) == len(b) == 1 and curves(a) == curves(b)
    assert a[0]['config'] == b[0]['config'] and a[0]['deterministic'] is True
