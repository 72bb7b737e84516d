"""Every feature's tables, imported together so the metadata is complete for Alembic."""

from __future__ import annotations

import importlib

# Each feature folder that owns tables appends its models module here.
FEATURE_MODEL_MODULES: tuple[str, ...] = (
    "recipevault.accounts.models",
    "recipevault.households.models",
    "recipevault.audit.models",
    "recipevault.site_settings",
    "recipevault.recipes.models",
    "recipevault.jobs.models",
    "recipevault.planner.models",
    "recipevault.shopping.models",
)


def import_all_models() -> None:
    for module in FEATURE_MODEL_MODULES:
        importlib.import_module(module)
