"""The fine-tuned EfficientNet-Lite0 as a standalone scikit-learn classifier (the CNN-only baseline)."""

import tempfile
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from ..features import ARCHITECTURE, EMBEDDING_DIM, resolve_device
from ._finetune import finetune, predict_logits
from ._finetune_data import load_items


class FineTunedCNNClassifier(ClassifierMixin, BaseEstimator):
    """The fine-tuned EfficientNet-Lite0 as a standalone scikit-learn classifier.

    :meth:`fit` runs :func:`finetune` (into a temporary folder) and keeps
    the best weights as numpy arrays, so the fitted estimator pickles
    without torch tensors; the network itself lives in ``model_``, is not
    pickled, and is rebuilt on first use on the device of the machine.

    Parameters
    ----------
    epochs, batch_size, lr, weight_decay, dropout, val_fraction, patience, image_size, augment, \
device, random_state, max_items, progress
        As in :func:`finetune` (``progress`` defaults to False here).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The sorted labels; the second is the positive class (1 = fake with
        FaceTruth's 0/1 convention).
    backbone_state_, head_state_ : dict of str to ndarray
        The best weights.
    history_ : list of dict
        Per-epoch losses and validation AUC.
    best_val_auc_ : float
    model_ : torch.nn.Module
        The network (backbone, dropout, linear head).

    Examples
    --------
    Fitting fine-tunes the network, seconds even on tiny images on a CPU,
    so it is not run here:

    >>> from facetruth.data import make_demo_dataset
    >>> from facetruth.models import FineTunedCNNClassifier
    >>> data = make_demo_dataset(8, size=32)
    >>> clf = FineTunedCNNClassifier(epochs=1, image_size=32, device="cpu")
    >>> clf.get_params()["epochs"], clf.get_params()["progress"]
    (1, False)
    >>> clf = clf.fit(data.images, data.labels)  # doctest: +SKIP
    >>> clf.predict_proba(data.images).shape  # doctest: +SKIP
    (8, 2)
    """

    def __init__(
        self,
        *,
        epochs=5,
        batch_size=32,
        lr=1e-4,
        weight_decay=1e-5,
        dropout=0.3,
        val_fraction=0.2,
        patience=2,
        image_size=224,
        augment=True,
        device="auto",
        random_state=0,
        max_items=None,
        progress=False,
    ):
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.val_fraction = val_fraction
        self.patience = patience
        self.image_size = image_size
        self.augment = augment
        self.device = device
        self.random_state = random_state
        self.max_items = max_items
        self.progress = progress

    def fit(self, X, y):
        """Fine-tune on images (paths or uint8 RGB arrays) and binary labels.

        Returns
        -------
        self : object
        """
        import torch

        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(f"FineTunedCNNClassifier needs exactly 2 classes; got {len(self.classes_)}.")
        with tempfile.TemporaryDirectory(prefix="facetruth-finetune-") as tmp:
            result = finetune(list(X), (y == self.classes_[1]).astype(np.int64), out=Path(tmp) / "cnn.pt",
                              **self.get_params())  # fmt: skip
            self.backbone_state_ = _numpy_state(torch.load(result.backbone_path, weights_only=True))
            self.head_state_ = _numpy_state(torch.load(result.head_path, weights_only=True))
        self.history_ = list(result.history)
        self.best_val_auc_ = result.best_val_auc
        self.model_ = None
        return self

    def _network(self):
        import timm
        import torch

        if getattr(self, "model_", None) is None:
            backbone = timm.create_model(ARCHITECTURE, pretrained=False, num_classes=0)
            backbone.load_state_dict({k: torch.from_numpy(v) for k, v in self.backbone_state_.items()})
            head = torch.nn.Linear(EMBEDDING_DIM, 1)
            head.load_state_dict({k: torch.from_numpy(v) for k, v in self.head_state_.items()})
            net = torch.nn.Sequential(backbone, torch.nn.Dropout(self.dropout), head)
            self.model_ = net.to(resolve_device(self.device)).eval()
        return self.model_

    def decision_function(self, X):
        """Logit of the positive class for each image, shape (n_images,)."""
        check_is_fitted(self, "backbone_state_")
        images = load_items(list(X), self.image_size)
        return predict_logits(self._network(), images, batch_size=self.batch_size)

    def predict_proba(self, X):
        """Class probabilities, shape (n_images, 2); column 1 is ``classes_[1]`` (fake with 0/1 labels)."""
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        """Most probable class of each image."""
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("model_", None)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.classifier_tags.multi_class = False
        return tags


def _numpy_state(state_dict):
    return {k: v.detach().cpu().numpy().copy() for k, v in state_dict.items()}
