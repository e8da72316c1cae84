"""Local development: the three services as processes, and a reader of what they publish."""
