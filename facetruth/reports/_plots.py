"""Figures of the reports, rendered to PNG bytes with Matplotlib's Agg backend.

Each function takes plain lists and dicts (as stored in ``results.json``)
and returns the PNG file's bytes, so figures can be embedded in HTML or
written next to a Markdown report.
"""

import io

import numpy as np

_DPI = 90


def _figure(width=5.0, height=4.0):
    from matplotlib.figure import Figure

    # a bare Figure renders through the Agg canvas and never touches pyplot's global state
    fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    return fig, fig.add_subplot()


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI)
    return buf.getvalue()


def sets_title(what, names, width=48):
    """A plot title that names the feature sets it shows, wrapped to ``width`` characters.

    Examples
    --------
    >>> from facetruth.reports._plots import sets_title
    >>> sets_title("ROC", ["fft", "dct"])
    'ROC: fft, dct'
    """
    import textwrap

    return "\n".join(textwrap.wrap(f"{what}: {', '.join(names)}", width, break_on_hyphens=False))


def roc_legend(name, curves, summary=None):
    """A ROC legend entry: the pooled out-of-fold AUC, then the mean ± std of the folds' AUCs.

    Examples
    --------
    >>> from facetruth.reports._plots import roc_legend
    >>> roc_legend("fft", {"oof_auc": 0.97}, {"auc": {"mean": 0.962, "std": 0.011}})
    'fft: pooled over folds 0.970; mean of folds 0.962 ± 0.011'
    """
    text = f"{name}: pooled over folds {curves['oof_auc']:.3f}"
    auc = (summary or {}).get("auc") or {}
    if auc.get("mean") is not None:
        text += f"; mean of folds {auc['mean']:.3f} ± {auc.get('std') or 0:.3f}"
    return text


def _legend_below(fig, ax, n_entries):
    """Grow the figure by a line per entry and draw the legend under the axes."""
    if not ax.get_legend_handles_labels()[0]:
        return
    fig.set_figheight(fig.get_figheight() + 0.16 * n_entries)
    fig.legend(fontsize=7, loc="outside lower center", frameon=False)


def roc_png(feature_sets, title=None):
    """ROC curves of the out-of-fold scores, one line per feature set.

    The legend gives each set's ROC-AUC twice: pooled (every out-of-fold score
    ranked together, the curve drawn) and the mean ± std of the folds' AUCs,
    as the report's tables give it.
    """
    fig, ax = _figure()
    for name, res in feature_sets.items():
        roc = res["curves"]["roc"]
        ax.plot(roc["fpr"], roc["tpr"], lw=1.4, label=roc_legend(name, res["curves"], res.get("summary")))
    ax.plot([0, 1], [0, 1], color="0.7", lw=0.8, ls="--")
    ax.set(xlabel="false positive rate (real called fake)", ylabel="true positive rate")
    ax.set_title(title or sets_title("ROC, out-of-fold", feature_sets), fontsize=9)
    _legend_below(fig, ax, len(feature_sets))
    return _png(fig)


def pr_png(feature_sets, title=None):
    """Precision-recall curves (fake is the positive class), one line per feature set."""
    fig, ax = _figure()
    for name, res in feature_sets.items():
        pr = res["curves"]["pr"]
        ax.plot(pr["recall"], pr["precision"], lw=1.4, label=name)
    ax.set(xlabel="recall (fake)", ylabel="precision (fake)", ylim=(0, 1.02))
    ax.set_title(title or sets_title("Precision-recall", feature_sets), fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    return _png(fig)


def coverage_png(feature_sets, title=None):
    """Accuracy of the verdicts against their coverage as the uncertainty band widens, per set."""
    fig, ax = _figure()
    shown = []
    for name, res in feature_sets.items():
        cov = res.get("curves", {}).get("coverage")
        if not cov:
            continue
        points = [(c, a) for c, a in zip(cov["coverage"], cov["accuracy"], strict=True) if a is not None]
        ax.plot([c for c, _ in points], [a for _, a in points], lw=1.4, label=name)
        shown.append(name)
    ax.set(xlabel="coverage (share given a verdict)", ylabel="accuracy of those verdicts", xlim=(0, 1))
    ax.set_title(title or sets_title("Coverage and accuracy as the band widens", shown), fontsize=9)
    if shown:
        ax.legend(fontsize=7, loc="lower left")
    return _png(fig)


def reliability_png(curve, title="Reliability"):
    """Reliability diagram: fraction of fakes against mean predicted probability per bin."""
    fig, ax = _figure()
    ax.plot([0, 1], [0, 1], color="0.7", lw=0.8, ls="--", label="perfect calibration")
    ax.plot(curve["mean_predicted"], curve["fraction_fake"], "o-", lw=1.4, label="out-of-fold")
    for x, y, n in zip(curve["mean_predicted"], curve["fraction_fake"], curve["count"]):
        ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(3, -10), fontsize=6, color="0.4")
    ax.set(xlabel="mean predicted P(fake)", ylabel="fraction fake", title=title, xlim=(0, 1), ylim=(0, 1))
    ax.legend(fontsize=7, loc="upper left")
    return _png(fig)


def confusion_png(confusion, title="Confusion matrix"):
    """2x2 confusion matrix ``[[tn, fp], [fn, tp]]`` with counts."""
    cm = np.asarray(confusion)
    fig, ax = _figure(3.6, 3.2)
    ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(int(v)), ha="center", va="center", color="white" if v > cm.max() / 2 else "black")
    ax.set(xticks=[0, 1], yticks=[0, 1], xticklabels=["real", "fake"], yticklabels=["real", "fake"])
    ax.set(xlabel="predicted", ylabel="true", title=title)
    return _png(fig)


def importance_png(importance, title="XGBoost gain per family"):
    """Horizontal bars of the share of total gain per feature family."""
    names = list(importance)
    values = [importance[n] for n in names]
    fig, ax = _figure(4.5, 0.6 + 0.45 * len(names))
    ax.barh(names[::-1], values[::-1], color="tab:blue")
    for y, v in enumerate(values[::-1]):
        ax.text(v, y, f" {v:.2f}", va="center", fontsize=8)
    ax.set(xlabel="share of total gain", title=title, xlim=(0, max(values + [0.01]) * 1.25))
    return _png(fig)


def spectrum_png(spectrum):
    """Mean azimuthal log power profile of real and fake crops (± 1 std band)."""
    fig, ax = _figure(5.5, 4.0)
    r = np.asarray(spectrum["radius"])
    for key, color in (("real", "tab:green"), ("fake", "tab:red")):
        mean, std = np.asarray(spectrum[f"{key}_mean"]), np.asarray(spectrum[f"{key}_std"])
        ax.plot(r, mean, color=color, lw=1.5, label=key)
        ax.fill_between(r, mean - std, mean + std, color=color, alpha=0.15)
    ax.set(xlabel="spatial frequency (fraction of Nyquist)", ylabel="mean log10 power")
    ax.set_title("Mean log spectrum of the face crops")
    ax.legend()
    return _png(fig)


def robustness_png(robustness, title=None):
    """ROC-AUC against perturbation strength, one panel per perturbation and a line per feature set.

    Parameters
    ----------
    robustness : dict
        The ``robustness`` entry of a results dict: ``curves`` maps each
        feature set to ``{perturbation: {"levels": [...], "auc": [...]}}``;
        the optional ``labels`` name each perturbation's axis.
    title : str, default=None
        By default, the feature sets shown.

    Returns
    -------
    png : bytes
        The PNG file's bytes.

    Examples
    --------
    >>> from facetruth.reports import robustness_png
    >>> curves = {"fft": {"jpeg": {"levels": [100, 50], "auc": [0.99, 0.7]}}}
    >>> robustness_png({"curves": curves, "labels": {"jpeg": "JPEG quality"}})[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    curves = robustness["curves"]
    kinds = list(next(iter(curves.values())))
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.0 * len(kinds), 3.3), dpi=_DPI, layout="constrained")
    fig.suptitle(title or sets_title("ROC-AUC under perturbation", curves, 30 * len(kinds)), fontsize=9)
    axes = fig.subplots(1, len(kinds), sharey=True, squeeze=False)[0]
    labels = robustness.get("labels", {})
    for ax, kind in zip(axes, kinds):
        for name, per_kind in curves.items():
            c = per_kind[kind]
            ax.plot(c["levels"], c["auc"], "o-", ms=3, lw=1.3, label=name)
        ax.set(title=kind, xlabel=labels.get(kind, "level"))
        if kind == "jpeg":
            ax.invert_xaxis()
        ax.axhline(0.5, color="0.7", lw=0.8, ls="--")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("ROC-AUC")
    axes[0].set_ylim(0.4, 1.01)
    axes[-1].legend(fontsize=7, loc="lower left")
    return _png(fig)
