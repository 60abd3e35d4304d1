"""README.md is nbs/index.ipynb rendered as markdown (nbdev_readme needs Quarto, which our machines lack).

`python tests/test_readme.py --write` regenerates README.md; the test fails when they disagree.
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def render_index(nb_path=ROOT / 'nbs' / 'index.ipynb'):
    "Markdown cells of the index notebook, code cells that are not hidden, and the printed Markdown of `output: asis` ones."
    nb = json.loads(Path(nb_path).read_text())
    parts = []
    for c in nb['cells']:
        src = ''.join(c['source']).strip()
        if not src: continue
        if c['cell_type'] == 'markdown': parts.append(src)
        elif c['cell_type'] == 'code' and re.search(r'^#\|\s*output:\s*asis', src, re.M):
            parts.append(''.join(''.join(o.get('text', '')) for o in c.get('outputs', [])).strip())
        elif c['cell_type'] == 'code' and not re.match(r'#\|\s*hide', src): parts.append(f"```python\n{src}\n```")
    return '\n\n'.join(parts) + '\n'


def test_readme_matches_index():
    want = render_index()
    have = (ROOT / 'README.md').read_text()
    assert have == want, "README.md differs from nbs/index.ipynb: run `python tests/test_readme.py --write`"


def test_readme_findings_are_computed_from_the_runs():
    "The findings table the README shows is what `findings_markdown` computes from the committed runs today."
    from lisht_fastai.findings import findings_markdown
    fresh = findings_markdown(ROOT / 'experiments')
    assert fresh in (ROOT / 'README.md').read_text(), \
        "README's findings differ from the runs: run `python tools/refresh_findings.py`"


def test_saved_findings_tables_are_todays():
    "Every findings table saved in a notebook (index, nb10, nb11) is what the committed runs give today."
    sys.path.insert(0, str(ROOT / 'tools'))
    from refresh_findings import stale_cells
    assert not stale_cells(), f"stale findings tables {stale_cells()}: run `python tools/refresh_findings.py`"


def test_registry_block_evidence_is_the_runs():
    "The block evidence typed in the registry quotes every committed seed of its settings (a landed run means an edit)."
    from lisht_fastai.evidence import block_evidence_gaps
    assert block_evidence_gaps(ROOT / 'experiments') == []


def test_readme_commands_are_the_ci_commands():
    "The install and test commands the README gives are the ones .ci/run runs."
    readme, ci = (ROOT / 'README.md').read_text(), (ROOT / '.ci' / 'run').read_text()
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    install, test = blocks[0].strip(), blocks[1].strip()
    assert install in ci, f"README install command {install!r} is not what .ci/run runs"
    assert test in ci, f"README test command {test!r} is not what .ci/run runs"


if __name__ == '__main__':
    if '--write' in sys.argv:
        (ROOT / 'README.md').write_text(render_index())
        print('README.md written from nbs/index.ipynb')
    else:
        test_readme_matches_index(); print('README.md is in sync')
