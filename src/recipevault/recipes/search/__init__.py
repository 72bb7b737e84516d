"""Finding recipes by their words: the full-text index, spelling help, and cook with what you
have."""
