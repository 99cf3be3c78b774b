"""Self-blended pseudo-fakes for fine-tuning: fresh blends of the training reals each epoch.

Following Shiohara & Yamasaki (CVPR 2022), every epoch blends a new random
transform of each sampled real training face back into itself (see
:func:`facetruth.data.self_blend`), so the network never sees the same
pseudo-fake twice and learns the blending traces rather than the images.
The 68 landmarks of each real crop are found once, before the first epoch.
"""

import logging

import numpy as np

logger = logging.getLogger(__name__)

VALIDATION_REAL = "real fakes of the held-out split"
VALIDATION_SBI = "self-blended fakes of the held-out real images"


class PseudoFakes:
    """Self-blended fakes of a fixed set of real face crops, redrawn for every epoch.

    Parameters
    ----------
    images : ndarray of shape (n_real, size, size, 3), dtype uint8
        Real face crops at the network's input size.
    ratio : float
        Pseudo-fakes per real image and epoch (see
        :func:`facetruth.data.make_pseudo_fakes`).
    random_state : int
        Base seed; epoch ``e`` uses a seed derived from ``(random_state, e)``.
    n_jobs : int or None
        Parallel workers for the landmarks and the blends.
    mask : {"auto", "hull", "region"}, default="auto"
        Mask kind (see :func:`facetruth.data.self_blend`).

    Attributes
    ----------
    landmarks : list of (ndarray of shape (68, 2) or None)
        dlib landmarks of each image, ``None`` where no face was found.
    """

    def __init__(self, images, ratio, random_state, n_jobs=None, mask="auto"):
        from ..data import batch_landmarks

        self.images = images
        self.ratio = float(ratio)
        self.random_state = int(random_state)
        self.n_jobs = n_jobs
        self.mask = mask
        self.landmarks = batch_landmarks(images, n_jobs=n_jobs) if len(images) else []
        logger.info("landmarks found on %d of %d real crops", self.n_found, len(images))

    @property
    def n_found(self):
        """Number of images whose landmarks were found."""
        return sum(lm is not None for lm in self.landmarks)

    def draw(self, epoch):
        """The pseudo-fakes of one epoch.

        Parameters
        ----------
        epoch : int

        Returns
        -------
        fakes : ndarray of shape (n_fakes, size, size, 3), dtype uint8
        """
        from ..data import make_pseudo_fakes

        seed = int(np.random.SeedSequence([self.random_state, int(epoch)]).generate_state(1)[0])
        fakes, _ = make_pseudo_fakes(
            self.images,
            ratio=self.ratio,
            mask=self.mask,
            random_state=seed,
            n_jobs=self.n_jobs,
            landmarks=self.landmarks,
        )
        return np.stack(fakes)


def with_pseudo_fakes(images, labels, fakes):
    """Append ``fakes`` to ``images`` with the label 1 (fake).

    Returns
    -------
    images : ndarray of shape (n + n_fakes, size, size, 3), dtype uint8
    labels : ndarray of shape (n + n_fakes,), dtype int64
    """
    return np.concatenate([images, fakes]), np.concatenate([labels, np.ones(len(fakes), np.int64)])


def validation_set(x_val, y_val, random_state, n_jobs=None, mask="auto"):
    """The validation images: as they are when they hold real fakes, else reals plus one blend of each.

    Returns
    -------
    images : ndarray of shape (n_val, size, size, 3), dtype uint8
    labels : ndarray of shape (n_val,), dtype int64
    kind : str
        :data:`VALIDATION_REAL` or :data:`VALIDATION_SBI`.
    """
    if np.any(y_val == 1):
        return x_val, y_val, VALIDATION_REAL
    source = PseudoFakes(x_val[y_val == 0], 1.0, random_state + 1, n_jobs, mask)
    x, y = with_pseudo_fakes(x_val, y_val, source.draw(0))
    return x, y, VALIDATION_SBI
