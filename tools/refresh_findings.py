"""Rebuild the computed findings tables saved in the notebooks, and README.md from the index notebook.

    python tools/refresh_findings.py          # after committing a results line under experiments/
    python tools/refresh_findings.py --check  # exit 1 (and name the cells) where a saved table is not today's

Both also check the block evidence the registry quotes against the runs (`block_evidence_gaps`), name what differs
and exit 1: a new seed of a measured setting means editing the `set_block` list in nbs/00c_registry.ipynb.

The findings tables (`lisht_fastai.findings`), and issue 29's pair in nb11, are printed by cells marked `#| output: asis` in nbs/index.ipynb,
nbs/10_mnist_nb06.ipynb and nbs/11_imagenette.ipynb. Their saved outputs are what the docs and README.md show, so they
must be rebuilt when the runs change; this runs just those cells (from nbs/, as the notebooks do) and saves their output.
"""
import contextlib, io, json, os, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'
NOTEBOOKS = ('index.ipynb', '10_mnist_nb06.ipynb', '11_imagenette.ipynb')
# what those cells need from the notebook around them
PRELUDE = ("from pathlib import Path\nfrom lisht_fastai.all import *\nEXP = Path('../experiments')\n"
           "OUT = EXP / 'nb11_full'\n")


def findings_cells(nb):
    "The cells that print computed findings: every `#| output: asis` cell (they print Markdown built from the runs)."
    src = lambda c: ''.join(c['source'])               # a cell's source: one string, or a list of lines
    return [c for c in nb['cells'] if c['cell_type'] == 'code' and re.search(r'^#\|\s*output:\s*asis', src(c), re.M)]


def run_cell(src):
    "The cell's printed output, run from nbs/ as the notebook runs it."
    ns, out, cwd = {}, io.StringIO(), os.getcwd()
    os.chdir(NBS)
    try:
        with contextlib.redirect_stdout(out): exec(PRELUDE + src, ns)
    finally: os.chdir(cwd)
    return out.getvalue()


def stale_cells():
    "(notebook, cell id) of every findings cell whose saved output is not what the runs give today."
    bad = []
    for name in NOTEBOOKS:
        nb = json.loads((NBS / name).read_text())
        for c in findings_cells(nb):
            have = ''.join(''.join(o.get('text', '')) for o in c.get('outputs', []))
            if have != run_cell(''.join(c['source'])): bad.append((name, c.get('id')))
    return bad


def refresh():
    for name in NOTEBOOKS:
        p = NBS / name; nb = json.loads(p.read_text())
        for c in findings_cells(nb):
            c['outputs'] = [{'name': 'stdout', 'output_type': 'stream', 'text': run_cell(''.join(c['source']))}]
            c['execution_count'] = None
        p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    sys.path.insert(0, str(ROOT / 'tests'))
    from test_readme import render_index
    (ROOT / 'README.md').write_text(render_index())


def block_gaps():
    "Where the registry's typed block evidence (nbs/00c_registry.ipynb) differs from the committed runs."
    from lisht_fastai.evidence import block_evidence_gaps
    return block_evidence_gaps(ROOT / 'experiments')


if __name__ == '__main__':
    gaps = block_gaps()
    for g in gaps: print(f"block evidence: {g}")
    if '--check' in sys.argv:
        bad = stale_cells()
        for nb, cid in bad: print(f"{nb}: the findings cell {cid} is not today's: run python tools/refresh_findings.py")
        sys.exit(1 if bad or gaps else 0)
    refresh(); print("findings cells and README.md rebuilt")
    sys.exit(1 if gaps else 0)
