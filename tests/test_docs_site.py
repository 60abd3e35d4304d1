"""The docs site, built here by `python tools/build_docs.py` and looked at in headless Chromium, served over HTTP on 127.0.0.1.

Screenshots of the home page and an experiment page go to `test-artifacts/`.
Skipped, with the reason, where Chromium/ChromeDriver (Debian: `apt-get install chromium chromium-driver`) or selenium is
missing; `.ci/run` installs them.
"""
import functools, http.server, importlib, json, re, shutil, subprocess, sys, threading, urllib.parse
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / 'test-artifacts'
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
DRIVER = shutil.which('chromedriver')
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="headless Chromium and ChromeDriver are not installed (Debian: apt-get install chromium chromium-driver)")
webdriver = pytest.importorskip('selenium.webdriver', reason="selenium is not installed (pip install -e '.[dev]')")
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

# notebook -> page, as nbdev names them (output-file): the numeric prefix goes
PAGES = {p.name: ('index' if p.stem == 'index' else re.sub(r'^\d+[a-z]?_', '', p.stem)) + '.html'
         for p in sorted((ROOT / 'nbs').glob('*.ipynb')) if not p.name.startswith('_')}
MODULES = set(importlib.import_module('lisht_fastai.all').MODULES)   # every chapter's module
EXPERIMENTS = ['mnist_nb06.html', 'imagenette.html']


@pytest.fixture(scope='module')
def site():
    r = subprocess.run([sys.executable, 'tools/build_docs.py', '--quiet'], cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = ROOT / '_docs'
    assert (out / 'index.html').exists()
    return out


class _Handler(http.server.SimpleHTTPRequestHandler):
    log = []
    def log_request(self, code='-', size='-'): self.log.append((self.path, int(code) if str(code).isdigit() else code))
    def log_message(self, *a): pass


@pytest.fixture(scope='module')
def server(site):
    _Handler.log = []
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Handler, directory=str(site)))
    t = threading.Thread(target=srv.serve_forever, daemon=True); t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/"
    srv.shutdown()


@pytest.fixture(scope='module')
def browser(tmp_path_factory):
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
              '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic', '--window-size=1280,1000',
              f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(a)
    opts.set_capability('goog:loggingPrefs', {'performance': 'ALL'})
    d = webdriver.Chrome(service=Service(DRIVER), options=opts)
    d.set_page_load_timeout(60)
    yield d
    d.quit()


def visit(browser, url):
    "Load `url`, wait until it and its images are loaded; return every request the page made (url, status or error)."
    browser.get_log('performance')                                   # drop older entries
    browser.get(url)
    WebDriverWait(browser, 30).until(lambda d: d.execute_script(
        "return document.readyState === 'complete' && Array.from(document.images).every(i => i.complete)"))
    reqs, ids = {}, {}
    for e in browser.get_log('performance'):
        m = json.loads(e['message'])['message']
        p = m.get('params', {})
        if m['method'] == 'Network.requestWillBeSent':
            ids[p['requestId']] = p['request']['url']; reqs.setdefault(p['request']['url'], None)
        elif m['method'] == 'Network.responseReceived': reqs[p['response']['url']] = p['response']['status']
        elif m['method'] == 'Network.loadingFailed': reqs[ids.get(p['requestId'], p['requestId'])] = f"failed: {p.get('errorText')}"
    return reqs


def check_requests(reqs, base):
    outside = [u for u in reqs if isinstance(u, str) and not u.startswith((base, 'data:', 'blob:', 'about:'))]
    assert not outside, f"requests that leave the machine: {outside}"
    bad = {u: s for u, s in reqs.items() if (isinstance(s, int) and s >= 400 or isinstance(s, str))
           and not u.endswith('/favicon.ico')}          # Chromium asks every site for one; none is required
    assert not bad, f"failed requests: {bad}"


def test_home_page_is_the_readme_with_a_quick_start(browser, server):
    reqs = visit(browser, server + 'index.html')
    check_requests(reqs, server)
    text = browser.find_element(By.TAG_NAME, 'main').text
    for s in ('LiSHT', 'pip install -e ".[dev]"', 'nbdev_test --n_workers 2 && pytest -q tests', 'lisht-compare mnist',
              'learn = lisht_learner(dls, act="lightrelu")', 'What we found'):
        assert s in text, f"home page lacks {s!r}"
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / 'docs-home.png'))


def test_sidebar_lists_every_notebook(browser, server):
    visit(browser, server + 'learner.html')
    links = browser.find_elements(By.CSS_SELECTOR, '#quarto-sidebar a.sidebar-link')
    hrefs = [urllib.parse.urlparse(a.get_attribute('href')).path.rsplit('/', 1)[-1] for a in links]
    assert sorted(hrefs) == sorted(PAGES.values()), f"sidebar {hrefs} != notebooks {sorted(PAGES.values())}"
    assert all(a.text.strip() for a in links), "a sidebar entry without a title"


SHOW_DOC_JS = """
const name = arguments[0];
return Array.from(document.querySelectorAll('.cell-output h3, .cell-output h4'))
  .filter(h => h.textContent.trim() === name).map(h => h.closest('.cell-output').innerText);"""


def norm(t):
    "Text as a reader sees it, comparable with a docstring: no markdown links/backticks, straight quotes."
    t = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', t)
    return re.sub(r'[`*]', '', t).replace('\u2019', "'").replace('\u2018', "'").replace('\u201c', '"').replace('\u201d', '"') \
        .replace('\u2026', '...').replace('\u2192', '->').replace('\u2013', '--').replace('\u2014', '---')


def show_doc_text(browser, name):
    "The text of the show_doc block(s) for `name` on the current page, normalised."
    return norm('\n'.join(browser.execute_script(SHOW_DOC_JS, name)))


def test_lisht_learner_api_doc(browser, server):
    visit(browser, server + 'learner.html')
    text = show_doc_text(browser, 'lisht_learner')
    assert text, "learner.html has no show_doc block for lisht_learner"
    assert 'def lisht_learner(' in text                                                 # the signature
    assert 'A fastai Learner for comparing activations' in text                         # the docstring
    for p, words in (('act', 'a registered name, class or partial'), ('arch', "'nb06', an xresnet (XRESNETS)"),
                     ('stats', 'attach ActivationStats'), ('precision', "'fp16' or 'bf16'")):   # the parameter docs
        line = next((l for l in text.splitlines() if l.strip().startswith(p + ':') or l.strip().startswith(p + '=')), '')
        assert words in line, f"parameter {p!r} is not documented: {line!r}"


@pytest.mark.parametrize('mod', sorted(MODULES))
def test_module_pages_show_every_exported_symbol(browser, server, mod):
    reqs = visit(browser, server + f'{mod}.html')
    check_requests(reqs, server)
    m = importlib.import_module(f'lisht_fastai.{mod}')
    missing = []
    for name in m.__all__:
        obj = getattr(m, name)
        if not callable(obj): continue                      # constants have no show_doc
        text = show_doc_text(browser, name)
        if not text: missing.append(f"{name}: no API doc"); continue
        doc = norm((obj.__doc__ or '').strip().split('\n')[0])[:40]
        if doc and doc not in text.replace('\n', ' '): missing.append(f"{name}: docstring {doc!r} not shown")
    assert not missing, f"{mod}.html: " + '; '.join(missing)


@pytest.mark.parametrize('page', EXPERIMENTS)
def test_experiment_pages_show_saved_plots_and_tables(browser, server, page):
    reqs = visit(browser, server + page)
    check_requests(reqs, server)
    sizes = browser.execute_script("return Array.from(document.images).map(i => [i.naturalWidth, i.naturalHeight])")
    plots = [s for s in sizes if s[0] > 200 and s[1] > 100]
    assert plots, f"{page}: no plot image loaded ({sizes})"
    text = browser.find_element(By.TAG_NAME, 'main').text
    assert any(s in text for s in ('acc %', 'accuracy %', 'acc_mean')), f"{page}: the results table is missing"
    if page == 'mnist_nb06.html':
        ARTIFACTS.mkdir(exist_ok=True)
        browser.execute_script("const i = Array.from(document.querySelectorAll('main img')).find(i => i.naturalWidth > 200);"
                               "window.scrollTo(0, i.getBoundingClientRect().top + window.scrollY - 150)")
        assert browser.save_screenshot(str(ARTIFACTS / 'docs-mnist_nb06.png'))


def test_internal_links_resolve(browser, server):
    "Every link between pages (and every #anchor it names) exists; nothing the pages load fails."
    missing = []
    for page in PAGES.values():
        reqs = visit(browser, server + page)
        check_requests(reqs, server)
        hrefs = browser.execute_script("return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
        for h in hrefs:
            if not h.startswith(server): continue
            u = urllib.parse.urlparse(h)
            f = ROOT / '_docs' / (urllib.parse.unquote(u.path.lstrip('/')) or 'index.html')
            if not f.exists(): missing.append(f"{page} -> {h}"); continue
            if u.fragment and f.suffix == '.html' and f'id="{u.fragment}"' not in f.read_text():
                missing.append(f"{page} -> {h} (no such anchor)")
    assert not missing, '\n'.join(sorted(set(missing))[:30])
    errors = [(p, s) for p, s in _Handler.log if isinstance(s, int) and s >= 400 and p != '/favicon.ico']
    assert not errors, f"server answered errors: {errors}"


def test_search_works_over_http(browser, server):
    visit(browser, server + 'index.html')
    box = browser.find_element(By.CSS_SELECTOR, '#quarto-search input')
    box.send_keys('lisht_learner')
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, '.smalldocs-search-results a'))
    hits = [a.get_attribute('href') for a in browser.find_elements(By.CSS_SELECTOR, '.smalldocs-search-results a')]
    assert any('learner.html' in h for h in hits), hits
