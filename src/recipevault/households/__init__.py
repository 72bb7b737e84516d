"""Households: groups of people who share recipes, meal plans and shopping lists."""
