"""Dask plumbing: a client for a cluster or a local one, and XGBoost trained on the cluster.

:class:`DistributedXGBClassifier` is an :class:`xgboost.XGBClassifier` whose
``fit`` trains with :class:`xgboost.dask.DaskXGBClassifier` on the current
Dask client (when there is one) and then holds the resulting booster like
any local model; :meth:`~DistributedXGBClassifier.to_local` turns it into a
plain ``XGBClassifier``, so a saved detector does not depend on Dask.
"""

import contextlib
import logging

import numpy as np
from xgboost import XGBClassifier

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def dask_client(scheduler=None, n_workers=None):
    """A ``dask.distributed.Client`` of an existing cluster, or of a local one.

    Parameters
    ----------
    scheduler : str, default=None
        Address of a running scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    n_workers : int, default=None
        Without ``scheduler``: start a :class:`distributed.LocalCluster` of
        this many worker processes on the loopback interface, one thread
        each (the nanny sets ``OMP_NUM_THREADS=1`` and friends for them).

    Yields
    ------
    client : distributed.Client
        Closed, with the local cluster, when the block exits.

    Raises
    ------
    ValueError
        When neither or both are given, or ``n_workers < 1``.

    Examples
    --------
    >>> from facetruth.pipelines import dask_client
    >>> with dask_client(n_workers=2) as client:  # doctest: +SKIP
    ...     print(len(client.nthreads()))
    2
    >>> try:
    ...     with dask_client():
    ...         pass
    ... except ValueError as exc:
    ...     print(exc)
    Give either a scheduler address or a number of local Dask workers.
    """
    from distributed import Client, LocalCluster

    if (scheduler is None) == (n_workers is None):
        raise ValueError("Give either a scheduler address or a number of local Dask workers.")
    cluster = None
    if scheduler is not None:
        client = Client(scheduler)
    else:
        if int(n_workers) < 1:
            raise ValueError(f"The number of Dask workers must be at least 1, got {n_workers!r}.")
        cluster = LocalCluster(
            n_workers=int(n_workers),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            # no dashboard; the scheduler's HTTP endpoints on a free loopback port
            dashboard_address="127.0.0.1:0",
            scheduler_kwargs={"dashboard": False},
        )
        client = Client(cluster)
        client.wait_for_workers(int(n_workers), timeout=120)
    logger.info("Dask client %s with %d workers", client.scheduler.address, n_dask_workers(client))
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def n_dask_workers(client):
    """Number of workers connected to the client's scheduler, asked of the scheduler now.

    ``Client.scheduler_info`` is a copy that the client refreshes only from
    time to time, and can still list no workers after they have joined.
    """
    return len(client.nthreads())


def current_client():
    """The current Dask client, or ``None`` when there is none (or Dask is missing)."""
    try:
        from distributed import get_client

        return get_client()
    except (ImportError, ValueError):
        return None


def _to_dask(array, n_parts):
    import dask.array as da

    array = np.asarray(array)
    rows = max(1, -(-len(array) // max(1, n_parts)))
    return da.from_array(array, chunks=(rows,) + array.shape[1:])


class DistributedXGBClassifier(XGBClassifier):
    """XGBoost classifier trained on the current Dask cluster.

    Takes every parameter of :class:`xgboost.XGBClassifier`. :meth:`fit`
    splits the data into one partition per worker and trains
    :class:`xgboost.dask.DaskXGBClassifier` (Rabit all-reduce across the
    workers, ``eval_set`` early stopping included) on the client returned by
    ``distributed.get_client()``; with no client it trains in this process.
    Afterwards the booster is held locally, so :meth:`predict_proba` needs
    no cluster.

    Examples
    --------
    Without a Dask client it trains in this process:

    >>> import numpy as np
    >>> from facetruth.pipelines._dask import DistributedXGBClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]] * 5)
    >>> y = np.array([0, 0, 1, 1] * 5)
    >>> clf = DistributedXGBClassifier(n_estimators=5, max_depth=2).fit(X, y)
    >>> clf.predict(X[:4]).tolist(), type(clf.to_local()).__name__
    ([0, 0, 1, 1], 'XGBClassifier')
    """

    def fit(self, X, y, *, sample_weight=None, eval_set=None, verbose=False, **kwargs):
        """Train on the current Dask client (or locally without one); returns ``self``."""
        client = current_client()
        if client is None:
            logger.info("no Dask client: training XGBoost in this process")
            return super().fit(
                X, y, sample_weight=sample_weight, eval_set=eval_set, verbose=verbose, **kwargs
            )
        from xgboost.dask import DaskXGBClassifier

        n = n_dask_workers(client)
        model = DaskXGBClassifier(**self.get_params())
        model.client = client
        dask_eval = None if eval_set is None else [(_to_dask(a, n), _to_dask(b, n)) for a, b in eval_set]
        weight = None if sample_weight is None else _to_dask(sample_weight, n)
        model.fit(
            _to_dask(X, n),
            _to_dask(y, n),
            sample_weight=weight,
            eval_set=dask_eval,
            verbose=verbose,
            **kwargs,
        )
        self.load_model(bytearray(model.get_booster().save_raw("json")))
        return self

    def to_local(self):
        """A plain :class:`xgboost.XGBClassifier` with the same parameters (and booster, when fitted)."""
        local = XGBClassifier(**self.get_params())
        if getattr(self, "_Booster", None) is not None:
            local.load_model(bytearray(self.get_booster().save_raw("json")))
        return local
