from __future__ import annotations

from decimal import Decimal

import pytest

from recipevault.recipes.densities import Density, density_for


@pytest.mark.parametrize(
    ("food", "density", "measured"),
    [
        ("flour", "0.53", "dry"),
        ("all-purpose flour", "0.53", "dry"),
        ("whole wheat flour", "0.51", "dry"),
        ("packed light brown sugar", "0.93", "dry"),
        ("granulated sugar", "0.85", "dry"),
        ("Confectioners\u2019 sugar", "0.51", "dry"),
        ("unsalted butter", "0.96", "fat"),
        ("cold salted butter", "0.96", "fat"),
        ("margarine", "0.96", "fat"),
        ("lard", "0.87", "fat"),
        ("vegetable shortening", "0.87", "fat"),
        ("ghee", "0.87", "fat"),
        ("clarified butter", "0.87", "fat"),
        ("virgin coconut oil", "0.92", "fat"),
        ("creamy peanut butter", "1.08", "dry"),
        ("buttermilk", "1.03", "liquid"),
        ("whole milk", "1.03", "liquid"),
        ("extra virgin olive oil", "0.92", "liquid"),
        ("Honey", "1.42", "liquid"),
        ("arborio rice", "0.85", "dry"),
        ("kosher salt", "0.60", "dry"),
        ("salt", "1.22", "dry"),
        ("water", "1.00", "liquid"),
    ],
)
def test_density_for(food: str, density: str, measured: str) -> None:
    assert density_for(food) == Density(Decimal(density), measured)  # type: ignore[arg-type]


@pytest.mark.parametrize("food", ["rice vinegar", "eggs", "cream cheese", "", "butternut squash"])
def test_density_for_unknown(food: str) -> None:
    assert density_for(food) is None


@pytest.mark.parametrize("value", ["0", "-0.5", "NaN", "Infinity"])
def test_a_density_is_positive(value: str) -> None:
    with pytest.raises(ValueError, match="density"):
        Density(Decimal(value), "dry")
