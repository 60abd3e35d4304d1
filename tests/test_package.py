"""Package-level checks that do not belong to one notebook: install pins, the console script, and the
issue-4 evidence on the real MNIST (`../shared/data/mnist.npz` or `$LISHT_DATA`)."""
import configparser, shutil, subprocess, sys
from pathlib import Path
import pytest, torch

ROOT = Path(__file__).resolve().parents[1]


def _cfg():
    c = configparser.ConfigParser(delimiters=['=']); c.read(ROOT / 'settings.ini'); return c['DEFAULT']


def test_pins_live_in_settings_ini():
    req = _cfg()['requirements'].split() + _cfg()['dev_requirements'].split()
    for pin in ('torch==2.14.1', 'torchvision==0.29.1', 'fastai==2.8.7', 'fastcore<2', 'plum-dispatch<2.10',
                'nbdev==2.4.14', 'execnb<0.2', 'ghapi<2'):
        assert pin in req, f"{pin} missing from settings.ini requirements/dev_requirements"


def test_setup_py_avoids_pkg_resources():
    assert 'pkg_resources' not in (ROOT / 'setup.py').read_text()


def test_installed_versions_match_pins():
    import fastai, nbdev
    assert fastai.__version__ == '2.8.7' and nbdev.__version__ == '2.4.14'
    assert torch.__version__.split('+')[0] == '2.14.1'


def test_console_script():
    exe = shutil.which('lisht-compare') or str(Path(sys.executable).parent / 'lisht-compare')
    r = subprocess.run([exe, '--help'], capture_output=True, text=True)
    assert r.returncode == 0 and 'Compare activations' in r.stdout


def test_bad_act_spec_exits_2(tmp_path, capsys):
    from lisht_fastai.cli import main
    with pytest.raises(SystemExit) as e: main(['mnist', '--acts', 'lightrlu', '--out', str(tmp_path)])
    assert e.value.code == 2 and "Did you mean 'lightrelu'" in capsys.readouterr().err


@pytest.fixture(scope='module')
def dls():
    from lisht_fastai.data import mnist_dls
    return mnist_dls(seed=0)


@pytest.mark.parametrize('act', ['lightrelu', 'relu'])
def test_one_epoch_reaches_95_percent(dls, act):        # export/load: nbs/04 and test_robustness
    from lisht_fastai.learner import lisht_learner
    torch.manual_seed(0)
    learn = lisht_learner(dls, act=act)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1)
    acc = learn.recorder.values[-1][2]
    assert acc >= 0.95, f"{act}: {acc:.4f} valid accuracy after one epoch"


def test_slow_flag_is_a_real_nbdev_flag():
    "nbdev splits tst_flags on whitespace: 'slow|cuda' would be one flag and no slow cell would ever be skipped."
    flags = _cfg()['tst_flags'].split()
    assert 'slow' in flags
    nbs = list((ROOT / 'nbs').glob('*.ipynb'))
    assert any('#| slow' in p.read_text() for p in nbs)


# exported callables whose parameters need no docments: inherited fastai signatures, one-argument helpers, CLI mains
UNDOCUMENTED_OK = {'lisht_ref', 'light_relu_ref', 'ftswish_ref', 'lisht', 'kaiming_relu_init_', 'is_activation', 'act_bounds',
                   'act_floor', 'GuardedHookCallback', 'NonFiniteError', 'TensorItems', 'DecodeCategory', 'TensorDL',
                   'FlushDenormals', 'DeviceMixedPrecision', 'LishtLearner', 'split_acts', 'spec_label', 'course_sched',
                   'EpochLog', 'main', 'ddp_check_main', 'activation_types', 'known_acts', 'denormals_flushed', 'world_size',
                   'is_rank0', 'CheckedPILImage', 'NamedXResNet'}


def test_public_api_parameters_are_documented():
    "Every exported function or class documents each of its parameters (nbdev docments), so the docs site shows them."
    import dataclasses, importlib, inspect
    from fastcore.docments import docments
    missing = []
    for mod in ('activations', 'stats', 'data', 'folders', 'tensor_data', 'models', 'learner', 'compare', 'distrib',
                'checkpoint'):
        m = importlib.import_module(f'lisht_fastai.{mod}')
        for name in m.__all__:
            obj = getattr(m, name)
            if not callable(obj) or name in UNDOCUMENTED_OK: continue
            f = obj.__init__ if inspect.isclass(obj) else obj
            params = [p for p, v in inspect.signature(f).parameters.items() if p != 'self' and v.kind not in (v.VAR_KEYWORD, v.VAR_POSITIONAL)]
            docs = docments(obj if dataclasses.is_dataclass(obj) else f)     # a dataclass documents its fields in its body
            missing += [f"{mod}.{name}({p})" for p in params if not docs.get(p)]
    assert not missing, f"parameters without docs: {missing}"
