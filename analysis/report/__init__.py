"""The report build system: catalog -> parameter checks -> papermill in parallel -> offline HTML.

The driver's side only: what runs in a notebook's kernel is in analysis/ (pages.py, and
publish.py, which hands charts and tables to the build). Modules (each imports only from those
above it, and from analysis/; heavy libraries are imported inside functions, never at
`import analysis.report`):

- fingerprint.py  content hashes: data folders, analysis code, the lock, notebooks, cache keys
- files.py        atomic writes, staged folders swapped in, files made only when their inputs
                  changed, the build lock
- catalog.py      reports.yml: structure, parameter types and vocabularies, checked before any run
- console.py      what the build prints: messages and progress (rich bars or one line per report)
- kernel_process.py  what runs in the kernel processes: ipykernel without the jsonschema IRI tax,
                  the warm zygote that forks kernels, the launcher jupyter_client starts
- kernel.py       the driver's side of the kernels on jupyter_client's public API: provisioner,
                  manager, client, the zygote's lifecycle, killing every kernel on Ctrl-C
- execute.py      one notebook through papermill: its deadline, progress by cell, failures as data
- state.py        the build's memory between runs (.build/state.json): keys, outputs, headlines
- export.py       executed notebook -> normalised .ipynb, self-contained offline HTML, PNG/SVG/CSV
- index.py        the site index for readers: reports by conflict, headlines, data dates, filter
- changes.py      what changed between two builds' claims: added, corrected, removed, with the
                  CHANGELOG's reasons, and which reports each change touches (one entry per conflict)
- change_pages.py what readers see of it: the Atom feed, a report's "Data last changed" and
                  corrections, the page a removed report's URL keeps
- history.py      the history across builds: changes.json, what each report shows from it (part of
                  its cache key), published.json and the removed reports' pages, written at the end
- datapackage.py  reports/data/<conflict>/: the open data packages (Frictionless)
- manifest.py     manifest.json: what varies between builds (timings, versions, host)
- keys.py         each report's cache key from its parts, and why a report is stale (or not)
- checks.py       before any run: each conflict's data validated (cached by data + code
                  fingerprint) and every entry's parameters checked
- runs.py         the stale reports run `jobs` at a time, each exported as it finishes, Ctrl-C
- runner.py       the build as a sequence of steps: lock, catalog, keys, checks, runs, then
                  packages, changes, index and manifest

Checks of a built site, run by tests and scripts/check_site.sh, not by the build:

- offline.py      headless Chromium with the network blocked: every page draws all its charts
- audit.py        axe-core's accessibility audit of every page in the same browser

See README.md ("Reports") for the contract between notebooks and the build.
"""
