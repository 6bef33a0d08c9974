"""Face-set and model-folder commands: alignments jobs, sort, mask, model, upstream import, demo."""
