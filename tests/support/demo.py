"""Demo data files for tests: the shape the Wikibooks Cookbook package ships, a few entries."""

from __future__ import annotations

import json
from pathlib import Path


def write_demo_data(path: Path, count: int = 3) -> Path:
    entries = {
        f"Cookbook:Dish {n}": {
            "title": f"Dish {n}",
            "category": "Soup recipes",
            "difficulty": None,
            "ingredients": [f"{n} cups water", "1 onion, chopped"],
            "steps": ["Boil.", "Serve."],
            "servings": "4",
            "time": "30 minutes",
        }
        for n in range(1, count + 1)
    }
    path.write_text(json.dumps(entries))
    return path
