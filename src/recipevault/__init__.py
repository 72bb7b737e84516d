"""RecipeVault: a self-hostable recipe manager."""

__version__ = "0.1.0"
