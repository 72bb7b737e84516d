"""How faithfully recipes are read from the saved web pages of the test corpus.

Run ``.venv/bin/python bench/import_fidelity.py``. Every page of
``tests/importing/corpus/recipe-pages`` is read twice: with ``extract_recipes`` (recipe-scrapers'
site rules where it knows the site, laid over the page's schema.org data) and with
``extract_schema_recipes`` (the page's schema.org data alone). For each, the script prints the
share of pages whose title, ingredients and instructions match the expected values exactly
(after the normalisation documented in ``tests/importing/fidelity.py``), the time per page, and
every miss with its first differing line. Nothing is written anywhere. See bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.importing import fidelity  # noqa: E402

from recipevault.importing.extract import extract_recipes, extract_schema_recipes  # noqa: E402

READERS: dict[str, fidelity.Extractor] = {
    "recipe-scrapers + schema.org": extract_recipes,
    "schema.org only": extract_schema_recipes,
}
TARGET = 0.95


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", metavar="TEXT", help="only the pages whose name contains TEXT")
    parser.add_argument(
        "--reader",
        choices=("both", "scrapers", "schema"),
        default="both",
        help="which reading to measure (default: both)",
    )
    return parser.parse_args(argv)


def report(title: str, summary: fidelity.Summary, seconds: float) -> bool:
    pages = len(summary.outcomes)
    print(f"\n{title}: {pages} pages, {seconds / max(pages, 1) * 1000:.0f} ms a page")
    passed = True
    for field in fidelity.FIELDS:
        rate = summary.rate(field)
        passed &= rate >= TARGET
        print(f"  {field:<13} {summary.matched(field):>3}/{pages}  {rate:6.1%}")
    for field in fidelity.FIELDS:
        for miss in summary.misses(field):
            print(f"  miss {field}: {fidelity.describe_miss(miss, field)[:300]}")
    return passed


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    cases = [case for case in fidelity.load_cases() if not args.only or args.only in case.name]
    if not cases:
        print("no corpus page matches", file=sys.stderr)
        return 2
    wanted = {"both": list(READERS), "scrapers": list(READERS)[:1], "schema": list(READERS)[1:]}
    passed = True
    # recipe-scrapers warns about sites whose fields it fills with a fixed value; not news here.
    warnings.simplefilter("ignore")
    for title in wanted[args.reader]:
        started = time.perf_counter()
        summary = fidelity.run(cases, READERS[title])
        passed &= report(title, summary, time.perf_counter() - started)
    print(f"\ntarget: at least {TARGET:.0%} on each field: {'met' if passed else 'NOT met'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
