"""Shopping lists: a household's lists, filled from recipes and plans."""
