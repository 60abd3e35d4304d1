"""A run killed at a random moment (SIGKILL, no clean-up) and started again ends with the record of a run never stopped.

`lisht-compare mnist` with 3 epochs: once the first epoch's checkpoint is on disk the process is killed at a random
point of the following epochs; the same command then resumes it. Every epoch's losses and accuracy and the final
activation statistics must equal, bit for bit, those of an uninterrupted run of the same command on this machine.
"""
import json, os, random, signal, subprocess, sys, time
from pathlib import Path

CMD = [sys.executable, '-c', 'from lisht_fastai.cli import main; main()', 'mnist', '--acts', 'relu', '--epochs', '3',
       '--seeds', '1', '--quiet']


def _records(out):
    lines = (Path(out) / 'results.jsonl').read_text().splitlines()[1:]
    return [json.loads(l) for l in lines if l.strip()]


def _comparable(rec):
    return dict(epochs=[{k: v for k, v in r.items() if k != 'seconds'} for r in rec['epochs']],
                final_accuracy=rec['final_accuracy'], final_stats=rec['final_stats'], status=rec['status'])


def test_killed_run_resumes_bit_for_bit(tmp_path):
    whole = tmp_path / 'whole'
    subprocess.run(CMD + ['--out', str(whole)], check=True, timeout=1800)
    epoch_secs = min(e['seconds'] for e in _records(whole)[0]['epochs'])
    # start-up time varies with the machine's load, so the epoch time comes from the uninterrupted run; a kill that
    # came too late (the run already finished) is tried again with a shorter delay, in a fresh folder
    for attempt in range(4):
        killed = tmp_path / f'killed{attempt}'
        proc = subprocess.Popen(CMD + ['--out', str(killed)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        ckdir = killed / 'checkpoints'
        while proc.poll() is None and not (ckdir.exists() and any(ckdir.glob('*.pt'))): time.sleep(0.05)
        delay = random.Random().uniform(0, epoch_secs / 2 ** attempt)   # somewhere in the next epoch
        print(f"killing {delay:.2f} s after the first checkpoint")
        time.sleep(delay)
        if proc.poll() is None: proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        if proc.returncode == -signal.SIGKILL: break
    assert proc.returncode == -signal.SIGKILL, f"the run ended before the kill: {proc.stdout.read()}"
    assert not (killed / 'results.jsonl').exists() or not _records(killed)
    r = subprocess.run(CMD[:-1] + ['--verbose', '--out', str(killed)], capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'resuming relu seed 0 after epoch' in r.stdout, r.stdout
    lines = r.stdout.splitlines(); top = next(i for i, l in enumerate(lines) if l.split()[:1] == ['epoch'])
    rows = [l.split() for l in lines[top + 1:top + 4]]
    assert len(rows) == 3 and all(len(x) == 5 for x in rows), r.stdout     # the epochs before the kill with values,
    assert rows[0][-1] == 'kept', r.stdout                                  # those the checkpoint kept
    a, b = _records(whole), _records(killed)
    assert len(a) == len(b) == 1
    assert _comparable(b[0]) == _comparable(a[0])
    assert not any(ckdir.glob('*.pt')), "the checkpoint outlived its record"
