"""The studio: generation, compare, editing, the job pipeline, sets, images."""
