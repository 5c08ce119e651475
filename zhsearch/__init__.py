"""zhsearch: full-text search for archives of Chinese news articles.

One installed package: ``zhsearch.search`` (analysis, index, queries), ``zhsearch.indexer``
(reading and cleaning archives), ``zhsearch.web`` (the Flask front end) and ``zhsearch.cli``.
In the repository their sources sit at the top level (``search/``, ``indexer/``, ``web/``) and
pyproject.toml maps them under ``zhsearch`` with ``package-dir``; a wheel holds them inside this
folder. Run from a checkout (an editable install, or ``PYTHONPATH`` pointing at the checkout),
the subpackages are found beside this folder, so the tree on disk is the code that runs.
"""

from pathlib import Path as _Path

_TOP = _Path(__file__).resolve().parent.parent
if not (_Path(__file__).resolve().parent / "search").is_dir() and (_TOP / "search" / "__init__.py").is_file() and (_TOP / "pyproject.toml").is_file():
    __path__.append(str(_TOP))  # a checkout: zhsearch.search is ../search
