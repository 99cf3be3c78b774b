"""Copies of a saved model whose card's feature fingerprint is edited, as another machine would have made it.

The card's sha256 covers the joblib file, not the card, so editing the card
leaves the model loadable: only the fingerprint check can tell.
"""

import base64
import json
import shutil

import numpy as np


def read_features(fingerprint):
    """The stored probe features of a fingerprint, as a float32 array."""
    blob = fingerprint["features"]
    return np.frombuffer(base64.b64decode(blob["data"]), dtype="<f4").reshape(blob["shape"]).copy()


def family_columns(fingerprint, family):
    """The column slice of ``family`` in the stored features."""
    start = 0
    for name, width in fingerprint["families"]:
        if name == family:
            return slice(start, start + width)
        start += width
    raise KeyError(family)


def edited_copy(
    model, folder, *, scale=None, family="dct", prob_shift=None, edit=None, name="drifted.joblib"
):
    """Copy ``model`` and its card into ``folder``, the card's fingerprint edited; return the new path.

    ``scale`` multiplies the stored features of ``family`` (a 2 % change is a
    drift the check must see); ``prob_shift`` adds to every stored
    ``prob_fake`` (subtracts where that would pass 1); ``edit(card)`` changes the card in place (drop the
    fingerprint, say). The joblib file itself is copied unchanged.
    """
    out = folder / name
    shutil.copyfile(model, out)
    card = json.loads(model.with_name(model.name + ".json").read_text())
    card["file"] = out.name
    fingerprint = card.get("fingerprint")
    if scale is not None:
        features = read_features(fingerprint)
        features[:, family_columns(fingerprint, family)] *= np.float32(scale)
        fingerprint["features"]["data"] = base64.b64encode(features.astype("<f4").tobytes()).decode("ascii")
    if prob_shift is not None:
        fingerprint["prob_fake"] = [
            p + prob_shift if p + prob_shift <= 1 else p - prob_shift for p in fingerprint["prob_fake"]
        ]
    if edit is not None:
        edit(card)
    out.with_name(out.name + ".json").write_text(json.dumps(card))
    return out
