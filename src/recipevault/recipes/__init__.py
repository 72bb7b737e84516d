"""Recipes: the recipe book itself, and the pure logic of ingredients, units and scaling."""
