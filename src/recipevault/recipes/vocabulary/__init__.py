"""A household's vocabularies (tags, categories, tools, foods, units): the words people type
turned into shared terms, and their curation."""
