"""Feature-set comparison on one data set: the same as ``facetruth experiment``.

Example::

    python experiments/run_experiment.py --data ../shared/data/hardfake \
        --config experiments/configs/feature_sets.yaml --cache /tmp/ft-cache --out runs/hardfake
"""

import sys

from facetruth.cli import main

if __name__ == "__main__":
    sys.exit(main(["experiment", *sys.argv[1:]]))
