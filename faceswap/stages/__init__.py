"""The data path: extract, train, convert and evaluate, above the plugins they run."""
