"""The settings of a detector that shape its input, as the model card records them."""

import os

#: loader parameters that change the crops the features see
LOADER_SETTINGS = ("face", "image_size", "margin", "align", "native", "pad")

#: feature parameters that change where or how fast work runs, not the numbers
_RUNTIME = frozenset({"cache", "n_jobs", "device", "batch_size"})


def _plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return repr(value)


def input_settings(pipeline):
    """Loader settings and feature-family parameters of a ``loader, features, classifier`` pipeline.

    Parameters
    ----------
    pipeline : Pipeline
        A detector whose first step is the image loader and second the
        feature union; other estimators give an empty dict.

    Returns
    -------
    settings : dict
        ``"loader"``: its face detector, image_size, margin, align, native
        and pad (``"black"``: the crop never reaches past the image and any
        rest is black, never mirrored); ``"feature_params"``: for each
        family its parameters, without cache folders, devices, batch sizes
        and worker counts.

    Examples
    --------
    >>> import facetruth
    >>> from facetruth.models._card_settings import input_settings
    >>> pipe = facetruth.build_pipeline("fft", "logistic", face="off", image_size=64, align="eyes")
    >>> settings = input_settings(pipe)
    >>> settings["loader"]
    {'face': 'off', 'image_size': 64, 'margin': 0.3, 'align': 'eyes', 'native': False, 'pad': 'black'}
    >>> settings["feature_params"]
    {'fft': {'n_bins': 64, 'per_channel': False}}
    """
    steps = getattr(pipeline, "steps", None)
    if not steps or len(steps) < 3:
        return {}
    loader, union = steps[0][1], steps[1][1]
    settings = {}
    params = loader.get_params(deep=False)
    if "face" in params:
        loader_settings = {key: _plain(params[key]) for key in LOADER_SETTINGS if key in params}
        loader_settings.setdefault("pad", "black")
        settings["loader"] = loader_settings
    transformers = getattr(union, "transformer_list", None)
    if transformers is not None:
        settings["feature_params"] = {
            name: {
                k: _setting(k, v) for k, v in sorted(t.get_params(deep=False).items()) if k not in _RUNTIME
            }
            for name, t in transformers
            if t not in ("drop", "passthrough")
        }
    return settings


def _setting(name, value):
    """A feature parameter as the card records it; tuned CLIP norms by their digest and size."""
    if name == "norms" and value is not None:
        from ..features import norms_digest

        return {"sha256": norms_digest(value), "parameters": len(value)}
    return _plain(value)
