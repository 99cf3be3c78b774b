"""FaceTruth's experiments: run each from the repository's root as ``python -m experiments.NAME``."""
