"""Build the docs site without Quarto: nbdev's own notebook processing + smalldocs, into settings.ini's doc_path.

    python tools/build_docs.py            # -> _docs/ ; browse with: python -m http.server -d _docs 8000

nbdev does what it does for `nbdev_docs` (nbdev.yml from settings.ini, sidebar.yml, `_proc/` with show_doc run and hidden
cells dropped; no other cell is executed, so plots and tables come from the outputs saved in the notebooks). smalldocs then
renders `_proc/` as Quarto would. Three fixes make the result browsable offline and consistent with nbdev's links:
- pages are named by their `output-file` (`stats.html`, not `01_stats.html`), as Quarto names them and nbdev links them;
- links nbdev wrote to the published site (`doc_host`/`doc_baseurl`) point into this build instead;
- KaTeX (for the maths on the activations page) is served from the site, fetched once from the npm registry with
  `npm pack` into `.cache/` (if npm is missing, the CDN links stay and a warning says so).
With Quarto installed, `nbdev_docs` builds the site the usual nbdev way.
"""
import argparse, json, re, shutil, subprocess, sys, tarfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KATEX_VERSION = '0.16.11'        # the version smalldocs links to
KATEX_CDN = f'https://cdn.jsdelivr.net/npm/katex@{KATEX_VERSION}/dist'


def _frontmatter_output(nb_path):
    "The `output-file` nbdev wrote into a processed notebook's front matter (None if absent)."
    nb = json.loads(nb_path.read_text())
    for c in nb['cells'][:3]:
        m = re.search(r'^output-file:\s*(\S+)\.html\s*$', ''.join(c['source']), re.M)
        if m: return m.group(1)
    return None


def rename_to_output_files(proc):
    "Name each processed notebook after its output-file and rewrite sidebar.yml to match; returns {old: new}."
    renames = {}
    for nb in sorted(proc.glob('*.ipynb')):
        stem = _frontmatter_output(nb)
        if stem and stem != nb.stem:
            target = nb.with_name(stem + '.ipynb')
            if target.exists(): raise SystemExit(f"two notebooks want the page {stem}.html: {nb.name} and {target.name}")
            nb.rename(target); renames[nb.name] = target.name
    sb = proc / 'sidebar.yml'
    text = sb.read_text()
    for old, new in renames.items(): text = re.sub(rf'(?m)^(\s*- ){re.escape(old)}\s*$', rf'\g<1>{new}', text)
    sb.write_text(text)
    return renames


def drop_warnings(proc):
    "Remove stderr outputs that are only Python warnings (import-time FutureWarnings and the like) from the processed pages."
    n = 0
    for nbp in proc.glob('*.ipynb'):
        nb = json.loads(nbp.read_text()); changed = False
        for c in nb['cells']:
            outs = c.get('outputs', [])
            keep = [o for o in outs if not (o.get('output_type') == 'stream' and o.get('name') == 'stderr'
                                            and re.search(r'\w+Warning\b', ''.join(o.get('text', ''))))]
            if len(keep) != len(outs): c['outputs'] = keep; changed = True; n += len(outs) - len(keep)
        if changed: nbp.write_text(json.dumps(nb, indent=1))
    return n


def katex_dist(cache=ROOT / '.cache'):
    "KaTeX's dist/ folder, fetched once from the npm registry (None when npm is not available)."
    dist = cache / f'katex-{KATEX_VERSION}' / 'dist'
    if dist.exists(): return dist
    npm = shutil.which('npm')
    if not npm: return None
    cache.mkdir(exist_ok=True)
    r = subprocess.run([npm, 'pack', f'katex@{KATEX_VERSION}', '--silent'], cwd=cache, capture_output=True, text=True)
    tgz = cache / f'katex-{KATEX_VERSION}.tgz'
    if r.returncode or not tgz.exists():
        print(f"warning: npm pack katex failed: {r.stderr.strip()[:300]}", file=sys.stderr); return None
    with tarfile.open(tgz) as t:
        members = [m for m in t.getmembers() if m.name.startswith('package/dist/')]
        t.extractall(cache / 'katex-tmp', members=members, filter='data')
    shutil.move(str(cache / 'katex-tmp' / 'package'), str(dist.parent))
    shutil.rmtree(cache / 'katex-tmp', ignore_errors=True); tgz.unlink()
    return dist


def localise(site, site_url):
    "Point links to the published site into this build, and serve KaTeX from it."
    site_url = site_url.rstrip('/') + '/'
    kdist = katex_dist()
    if kdist: shutil.copytree(kdist, site / 'site_libs' / 'katex', dirs_exist_ok=True, ignore=shutil.ignore_patterns('*.md'))
    n_links, n_math, n_fonts = 0, 0, 0
    for css in site.rglob('*.css'):                       # theme fonts from Google: offline they fail; system fonts are used instead
        text = css.read_text()
        new, k = re.subn(r'@import\s+url\(["\']?https?://[^)]*\)\s*;?', '', text); n_fonts += k
        if k: css.write_text(new)
    for page in site.rglob('*.html'):
        html = page.read_text()
        depth = len(page.relative_to(site).parts) - 1
        up = '../' * depth
        new, k = re.subn(rf'(href|src)="{re.escape(site_url)}', rf'\1="{up}', html); n_links += k
        if kdist and KATEX_CDN in new: new = new.replace(KATEX_CDN, f'{up}site_libs/katex'); n_math += 1
        if new != html: page.write_text(new)
    if not kdist and any(KATEX_CDN in p.read_text() for p in site.rglob('*.html')):
        print("warning: npm not found: maths is rendered by KaTeX from its CDN (needs the network)", file=sys.stderr)
    return n_links, n_math, n_fonts


def build(out=None, quiet=False):
    from nbdev.config import get_config
    from nbdev.quarto import nbdev_sidebar, refresh_quarto_yml
    from nbdev.serve import proc_nbs
    import nbdev.doclinks
    cfg = get_config()
    nbs, out = cfg.nbs_path, Path(out or cfg.doc_path)
    t0 = time.time()
    refresh_quarto_yml()                                  # nbs/nbdev.yml from settings.ini, as nbdev_docs does
    nbdev.doclinks._build_modidx()
    nbdev_sidebar.__wrapped__(path=nbs)                   # sidebar.yml lists the notebooks only (the CLI's file_re='' adds yml/css files)
    cache = proc_nbs(nbs, n_workers=2, force=True)        # _proc/: show_doc run, hidden cells dropped
    renames = rename_to_output_files(cache)
    n_warn = drop_warnings(cache)
    print(f"nbdev processed {len(list(cache.glob('*.ipynb')))} notebooks into {cache}; pages named by output-file: "
          f"{', '.join(f'{a} -> {b}' for a, b in renames.items())}; {n_warn} warning output(s) dropped ({time.time() - t0:.0f} s)")
    from smalldocs.site import build as sd_build
    site = sd_build(str(cache), quiet=quiet)
    ignored = ('is not built: smalldocs makes only html', 'keep-md is ignored', 'output-file is not read by smalldocs')
    for w in site.warnings:
        if not any(s in w for s in ignored): print(f"warning: {w}", file=sys.stderr)
    built = cache / cfg.doc_path.name
    if not built.exists(): raise SystemExit(f"smalldocs wrote no {built}")
    shutil.rmtree(out, ignore_errors=True)
    shutil.move(str(built), str(out))
    n_links, n_math, n_fonts = localise(out, f"{cfg.doc_host}{cfg.doc_baseurl}")
    print(f"site written to {out}: {len(list(out.glob('*.html')))} pages, {n_links} links made local, "
          f"KaTeX served locally on {n_math} page(s), {n_fonts} remote font import(s) dropped ({time.time() - t0:.0f} s)")
    return out


if __name__ == '__main__':            # proc_nbs starts worker processes with spawn: this guard is required
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', default=None, help="output folder (default: settings.ini doc_path, _docs)")
    p.add_argument('--quiet', action='store_true')
    a = p.parse_args()
    build(a.out, a.quiet)
