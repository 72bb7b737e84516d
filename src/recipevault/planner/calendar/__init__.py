"""The calendar feed: a secret address at which calendar apps read a household's meal plan."""
