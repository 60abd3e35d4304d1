"""Real torch.distributed runs: 2 CPU processes (gloo) started by torchrun."""
import json, os, subprocess, sys
from pathlib import Path
import pytest, torch
from lisht_fastai.distrib import reference_check

BIN = Path(sys.executable).parent
ENV = {**os.environ, 'OMP_NUM_THREADS': '1'}


def torchrun(*args, nproc=2):
    r = subprocess.run([str(BIN / 'torchrun'), '--standalone', '--nproc_per_node', str(nproc), '--no-python', *map(str, args)],
                       capture_output=True, text=True, timeout=900, env=ENV)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    return r.stdout


def test_ddp_stats_equal_single_process_on_global_batches(tmp_path):
    torchrun(BIN / 'lisht-ddp-check', '--out', tmp_path, '--items', 384, '--bs', 32, '--act', 'ftswish', '--epochs', 2, '--every', 3)
    r0, r1 = [torch.load(tmp_path / f'rank{i}.pt', weights_only=False) for i in range(2)]
    ref = reference_check(world=2, n=384, bs=32, act='ftswish', epochs=2, every=3)
    assert r0['world'] == r1['world'] == 2
    assert r0['iters'] == ref['iters'] == [0, 3, 6, 9]                  # 6 batches per epoch, every 3rd recorded
    assert r0['gathers'] == 4                                            # no collective for the skipped batches
    torch.testing.assert_close(r0['values'], ref['values'], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(r0['hists'], ref['hists'], rtol=0, atol=1.0)   # counts; a value on a bin edge may move
    assert torch.equal(r0['values'], r1['values']) and torch.equal(r0['hists'], r1['hists'])
    for k, v in ref['params'].items(): torch.testing.assert_close(r0['params'][k], v, rtol=1e-4, atol=1e-5)


@pytest.mark.skipif(not os.environ.get('LISHT_DATA') and not (Path(__file__).resolve().parents[2] / 'shared/data/mnist.npz').exists(),
                    reason="needs MNIST in $LISHT_DATA or ../shared/data")
def test_compare_under_ddp_writes_once_from_rank0_and_resumes(tmp_path):
    cmd = (BIN / 'lisht-compare', 'mnist', '--acts', 'relu', '--epochs', 1, '--seeds', 1, '--bs', 256, '--out', tmp_path)
    out = torchrun(*cmd)
    lines = (tmp_path / 'results.jsonl').read_text().splitlines()
    assert len(lines) == 2, lines[:3]                                    # header + one run, not one per rank
    run = json.loads(lines[1])
    assert run['status'] == 'ok' and run['final_accuracy'] > 0.5
    assert out.count('final valid accuracy') == 1                        # only rank 0 reports
    out2 = torchrun(*cmd)
    assert out2.count('1 of 1 runs already in') == 1                     # planned on every rank, said once
    assert (tmp_path / 'results.jsonl').read_text().splitlines() == lines
