"""Run an experiment notebook's cells in order and save their outputs in it, as the docs and README show them.

    python tools/run_notebook.py nbs/10_mnist_nb06.ipynb [more notebooks] [--flags slow]

Cells carrying a test flag (`#| slow`: the ones that train) are skipped unless the flag is given, and keep the outputs
they have; the others read the committed runs and rebuild their tables and plots. Then run `nbdev_clean`.
`tools/refresh_findings.py` is the quicker tool when only the findings tables are stale.
"""
import json, os, re, sys
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell


def flags_of(cell):
    "The test flags a code cell carries (`#| slow` -> {'slow'})."
    return set(re.findall(r'^#\|\s*([A-Za-z_]\w*)\s*$', cell.source, re.M)) & {'slow'}


def run(path, flags=()):
    "Execute the notebook at `path` from its folder, skipping cells flagged other than `flags`; stop on an error."
    path = Path(path).resolve(); nb = read_nb(path); cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        sh = CaptureShell()
        sh.run_all(nb, exc_stop=True, preproc=lambda c: c.cell_type == 'code' and bool(flags_of(c) - set(flags)))
    finally: os.chdir(cwd)
    write_nb(nb, path)
    raw = json.loads(path.read_text())           # sources as one string a cell, as the repository keeps them
    for c in raw['cells']: c['source'] = ''.join(c['source'])
    path.write_text(json.dumps(raw, indent=1, ensure_ascii=False) + '\n')


if __name__ == '__main__':
    args = sys.argv[1:]
    flags = args[args.index('--flags') + 1].split(',') if '--flags' in args else []
    paths = [a for a in args if a.endswith('.ipynb')]
    if not paths: sys.exit(__doc__)
    for p in paths: run(p, flags); print(f"{p}: run, outputs saved")
