"""tools/run_notebook.py: the cells that train (`#| slow`) are skipped and keep their outputs; the others are run."""
import json, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tools'))
from run_notebook import run, flags_of  # noqa: E402


def _nb(cells):
    return {'cells': cells, 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}


def _code(src, outputs=()):
    return {'cell_type': 'code', 'execution_count': None, 'id': f"c{abs(hash(src)) % 10**6}", 'metadata': {},
            'outputs': list(outputs), 'source': src}


def _text(c): return ''.join(''.join(o.get('text', '')) for o in c['outputs'])


def test_slow_cells_are_skipped_and_keep_their_outputs(tmp_path):
    old = [{'name': 'stdout', 'output_type': 'stream', 'text': 'trained earlier\n'}]
    p = tmp_path / 'x.ipynb'
    p.write_text(json.dumps(_nb([_code("print('before')"), _code("#| slow\nprint('training')", old),
                                 _code("open('ran.txt', 'w').write('yes'); print('after')")])))
    run(p)
    cells = json.loads(p.read_text())['cells']
    assert [_text(c) for c in cells] == ['before\n', 'trained earlier\n', 'after\n']
    assert all(isinstance(c['source'], str) for c in cells)     # one string a cell, as the repository keeps them
    assert (tmp_path / 'ran.txt').read_text() == 'yes'          # run from the notebook's own folder
    run(p, flags=['slow'])
    assert _text(json.loads(p.read_text())['cells'][1]) == 'training\n'


def test_flags_and_errors(tmp_path):
    from execnb.nbio import dict2nb
    nb = dict2nb(_nb([_code("#| slow\nx = 1"), _code("#|  slow  \nx = 1"), _code("# slow\nx = 1")]))
    assert [flags_of(c) for c in nb.cells] == [{'slow'}, {'slow'}, set()]
    p = tmp_path / 'bad.ipynb'
    p.write_text(json.dumps(_nb([_code("raise ValueError('boom')"), _code("print('never')")])))
    with pytest.raises(Exception, match='boom'): run(p)
