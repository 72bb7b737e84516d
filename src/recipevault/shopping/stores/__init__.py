"""A household's stores, each with its aisles in the order one walks them."""
