"""What runs inside a DataLoader worker process, and what the two sides exchange.

The main process sends ``(task_idx, indices)`` on each worker's index queue; the worker loads
and collates that batch and sends ``(task_idx, batch)`` back on the shared result queue. The
payload travels pickled (ember tensors pickle as NumPy arrays). A worker pickles its result
itself, so a batch that cannot be pickled comes back as an error instead of a silent hang.
"""

import os
import pickle
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

from ...ops.random import manual_seed
from ._collate import default_collate
from .dataset import _rows_batch

# how often a waiting worker checks that the main process is still there (seconds)
STATUS_CHECK_INTERVAL = 1.0

_worker_info = None


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """About the current worker process: id, num_workers, seed and its copy of the dataset."""

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str = "multiprocessing"


def get_worker_info():
    """Inside a DataLoader worker: its WorkerInfo (id, num_workers, seed, dataset).
    In the main process: None.

    An IterableDataset uses it to split its stream between workers (each worker gets a full
    copy of the dataset, so without a split every sample would come num_workers times).
    """
    return _worker_info


class _KeyErrorMessage(str):
    # KeyError shows repr(message); this keeps the traceback text readable
    __slots__ = ()

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception caught in a worker, with its traceback as text (tracebacks don't pickle)."""

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_name = exc_info[0].__name__
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_name} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=msg)
        try:
            exc = self.exc_type(msg)
        except Exception:
            # an exception class that cannot be built from one message
            raise RuntimeError(msg) from None
        try:
            raise exc
        finally:
            # this frame would hold exc, and exc's traceback this frame (and the loader's
            # iterator, which would keep its workers alive until the garbage collector ran)
            del exc


class _IterableDatasetStopIteration:
    """A worker's copy of an IterableDataset ran out."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class _ResumeIteration:
    """Persistent workers: a new epoch starts (the worker acknowledges it)."""


class _MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn

    def fetch(self, index):
        dataset = self.dataset
        if self.auto_collation:
            if self.collate_fn is default_collate:
                batch = _rows_batch(dataset, index)
                if batch is not None:
                    return batch
            getitems = getattr(dataset, "__getitems__", None)
            data = getitems(index) if getitems else [dataset[i] for i in index]
        else:
            data = dataset[index]
        return self.collate_fn(data)


class _IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.it = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.it))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.it)
        return self.collate_fn(data)


def seed_worker(base_seed, worker_id):
    """PyTorch's per-worker seeding: random and ember get base_seed + worker_id, NumPy's global
    generator a SeedSequence of (worker_id, base_seed)."""
    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))
    return seed


def _send(data_queue, idx, data, worker_id):
    try:
        payload = pickle.dumps((idx, data), pickle.HIGHEST_PROTOCOL)
    except Exception:
        if isinstance(data, ExceptionWrapper):
            # an exception class that cannot be pickled (a local class): the text still goes
            data.exc_type = RuntimeError
        else:
            data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
        payload = pickle.dumps((idx, data), pickle.HIGHEST_PROTOCOL)
    data_queue.put(payload)


def worker_loop(iterable, dataset, index_queue, data_queue, done_event, auto_collation,
                collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers):
    """The body of one worker process: fetch the batches asked for until told to stop."""
    global _worker_info
    try:
        seed = seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        fetcher_cls = _IterableFetcher if iterable else _MapFetcher
        init_exception = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = fetcher_cls(dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_exception = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")

        iteration_end = False
        parent = os.getppid()
        while True:
            try:
                r = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent:  # the main process died: nobody will ask again
                    break
                continue
            if isinstance(r, _ResumeIteration):
                _send(data_queue, r, None, worker_id)
                iteration_end = False
                fetcher = fetcher_cls(dataset, auto_collation, collate_fn, drop_last)
                continue
            if r is None:
                break
            if done_event.is_set() or iteration_end:
                continue
            idx, index = r
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if not iterable:
                        data = ExceptionWrapper(
                            where=f"in DataLoader worker process {worker_id}")
                    else:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                except Exception:
                    data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            _send(data_queue, idx, data, worker_id)
            del data, idx, index, r
    except KeyboardInterrupt:
        pass
    # nobody reads what is still buffered once the loader shut down: don't wait to flush it
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()
