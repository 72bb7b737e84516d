"""The meal planner: a household's meal slots, what is planned for each day, templates and
rotations, suggestions that say why, and a calendar feed."""
