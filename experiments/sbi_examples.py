"""Figure of self-blended pseudo-fakes: real face crop, blending mask and the pseudo-fake.

Takes the first ``--n`` real images of a data set folder (``real/`` below
``--data``), crops the faces as the pipeline does (256 px, 30 % margin),
and makes one self-blended image of each, alternating hull and region
masks. Writes a PNG with one row per face: real, mask, fake, and the
absolute difference (amplified 4x).

Example::

    python -m experiments.sbi_examples --data ../shared/data/hardfake --out docs/sbi_examples.png
"""

import argparse
import io
import logging
from pathlib import Path

import numpy as np

from facetruth.data import IMAGE_EXTENSIONS, self_blend
from facetruth.pipelines import build_loader


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="folder holding a real/ folder of images")
    parser.add_argument("--out", default="docs/sbi_examples.png")
    parser.add_argument("--n", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = sorted(p for p in (Path(args.data) / "real").iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
    loader = build_loader("auto", 256).fit()
    fig, axes = plt.subplots(args.n, 4, figsize=(10, 2.6 * args.n), squeeze=False)
    for row, path in enumerate(paths[: args.n]):
        crop = loader.transform([path])[0]
        kind = "hull" if row % 2 == 0 else "region"
        fake, mask = self_blend(crop, mask=kind, random_state=args.seed + row)
        diff = np.clip(np.abs(fake.astype(np.int16) - crop) * 4, 0, 255).astype(np.uint8)
        panels = [
            (crop, f"real: {path.name}"),
            (mask, f"{kind} mask (max {mask.max():.2f})"),
            (fake, "self-blended fake"),
            (diff, "|fake - real| x4"),
        ]
        for ax, (img, title) in zip(axes[row], panels, strict=True):
            ax.imshow(img, cmap="grey" if img.ndim == 2 else None, vmin=0, vmax=1 if img.ndim == 2 else None)
            ax.set_title(title, fontsize=8)
            ax.axis("off")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_bytes(buf.getvalue())
    logging.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
