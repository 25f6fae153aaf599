"""DataLoader: iterate over a dataset in (shuffled) batches, in this process or in workers."""

import itertools
import math
import multiprocessing
import multiprocessing.context
import os
import pickle
import queue
import time
import warnings

from ..._errors import note
from . import _collate, _worker
from ._worker import ExceptionWrapper, get_worker_info
from .dataset import IterableDataset, _rows_batch
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _random_seed

__all__ = ["DataLoader", "get_worker_info"]

# how often the main process, waiting for a batch, checks that its workers are alive (seconds)
_LIVENESS_INTERVAL = 0.5


class _InfiniteConstantSampler(Sampler):
    # an iterable dataset has no indices: the batch sampler counts Nones
    def __iter__(self):
        while True:
            yield None


_FIXED = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
          "persistent_workers")


class DataLoader:
    """Iterate over ``dataset`` in batches, as torch.utils.data.DataLoader.

    ``batch_size`` samples per batch (``None``: no batching, samples one by one), in order or
    ``shuffle``d (a fresh permutation each epoch, drawn with ``ember.randperm`` from
    ``generator``, so the same seed gives the same order), or in the order a ``sampler`` /
    ``batch_sampler`` gives; ``drop_last`` drops a last, smaller batch; ``collate_fn`` turns a
    list of samples into a batch (default: ``default_collate``, which stacks tensors, turns
    numbers into tensors and keeps tuples, dicts and lists). With the default collate, a
    TensorDataset (or a Subset of one) gives each batch by gathering its rows from each tensor
    at once rather than sample by sample: the same batches, much faster.

    ``num_workers > 0`` loads batches in that many worker processes (``multiprocessing``, the
    platform's default start method unless ``multiprocessing_context`` names another): the
    sampler stays in this process and hands batches of indices to the workers in turn, and the
    batches come back in the sampler's order, so they are the same as with ``num_workers=0``.
    Each worker seeds ``random``, NumPy and ember from the loader's generator as PyTorch does
    (see ``get_worker_info``), then calls ``worker_init_fn(worker_id)``. ``prefetch_factor``
    batches per worker are asked for ahead; ``persistent_workers`` keeps the workers between
    epochs; ``timeout`` bounds the wait for one batch. ``pin_memory`` changes nothing on the CPU.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable "
                "multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing.let "
                "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to "
                "None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.in_order = in_order
        self.multiprocessing_context = multiprocessing_context

        if isinstance(dataset, IterableDataset):
            self._iterable = True
            if shuffle not in {False, None}:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified shuffle option, but "
                    f"got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified sampler option, but "
                    f"got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}"
                )
        else:
            shuffle = bool(shuffle)
            self._iterable = False

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = (_collate.default_collate if batch_sampler is not None
                          else _collate.default_convert)
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        self._initialized = True
        self._check_worker_number_rationality()

    def __setattr__(self, name, value):
        if name in _FIXED and self.__dict__.get("_initialized"):
            raise ValueError(
                f"{name} attribute should not be set after {self.__class__.__name__} is "
                "initialized"
            )
        super().__setattr__(name, value)

    @property
    def multiprocessing_context(self):
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context):
        if context is not None:
            if self.num_workers == 0:
                raise ValueError(
                    "multiprocessing_context can only be used with multi-process loading "
                    f"(num_workers > 0), but got num_workers={self.num_workers}"
                )
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(
                        "multiprocessing_context option should specify a valid start method "
                        f"in {methods!r}, but got multiprocessing_context={context!r}"
                    )
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(
                    "multiprocessing_context option should be a valid context object or a "
                    "string specifying the start method, but got "
                    f"multiprocessing_context={context}"
                )
        self._multiprocessing_context = context

    def _check_worker_number_rationality(self):
        # more workers than CPUs this process may use slows loading down (PyTorch warns too)
        if not self.num_workers:
            return
        try:
            cpus = len(os.sched_getaffinity(0))
            checked = True
        except AttributeError:
            cpus = os.cpu_count()
            checked = False
        if cpus is None or self.num_workers > cpus:
            if cpus is not None:
                suggest = (
                    f"Our suggested max number of worker in current system is {cpus}"
                    + ("" if checked else " (`cpuset` is not taken into account)")
                    + ", which is smaller than what this DataLoader is going to create."
                )
            else:
                suggest = ("DataLoader is not able to compute a suggested max number of worker "
                           "in current system.")
            warnings.warn(
                f"This DataLoader will create {self.num_workers} worker processes in total. "
                f"{suggest} Please be aware that excessive worker creation might get "
                "DataLoader running slow or even freeze, lower the worker number to avoid "
                "potential slowness/freeze if necessary.",
                stacklevel=3,
            )

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self):
        if self._iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    length = length // self.batch_size
                else:
                    length = math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)

    def __iter__(self):
        if self.num_workers > 0:
            if not self.persistent_workers:
                self._check_worker_number_rationality()
                return _MultiProcessingIter(self)
            # persistent workers: one iterator (and one set of processes) for every epoch
            if self._iterator is None:
                self._check_worker_number_rationality()
                self._iterator = _MultiProcessingIter(self)
            else:
                self._iterator._reset(self)
            return self._iterator
        _warn_pin_memory(self)
        # PyTorch draws a base seed (for worker processes) from the generator at the start of
        # every pass; drawing it too keeps the random stream in step with PyTorch's
        _random_seed(self.generator)
        if self._iterable:
            return self._iter_iterable()
        return self._iter_map()

    def _iter_map(self):
        dataset = self.dataset
        collate = self.collate_fn
        if not self._auto_collation:
            for idx in self.sampler:
                yield collate(dataset[idx])
            return
        getitems = getattr(dataset, "__getitems__", None)
        rows = collate is _collate.default_collate  # a TensorDataset's batch by gathers
        for indices in self.batch_sampler:
            if rows:
                batch = _rows_batch(dataset, indices)
                if batch is not None:
                    yield batch
                    continue
            if getitems is not None:
                data = getitems(indices)
            else:
                data = [dataset[i] for i in indices]
            yield collate(data)

    def _iter_iterable(self):
        it = iter(self.dataset)
        collate = self.collate_fn
        if not self._auto_collation:
            for sample in it:
                yield collate(sample)
            return
        for indices in self.batch_sampler:
            data = []
            for _ in indices:
                try:
                    data.append(next(it))
                except StopIteration:
                    break
            if not data or (self.drop_last and len(data) < len(indices)):
                return
            yield collate(data)
            if len(data) < len(indices):
                return


def _warn_pin_memory(loader):
    if loader.pin_memory:
        if loader.pin_memory_device:
            warnings.warn(
                "pin_memory_device is deprecated, the current accelerator will be used as the "
                f"device,ignore pin_memory_device='{loader.pin_memory_device}'.",
                stacklevel=3,
            )
        warnings.warn(
            "'pin_memory' argument is set as true but no accelerator is found, then device "
            "pinned memory won't be used.",
            stacklevel=3,
        )


_PICKLE_HINT = (
    "The DataLoader could not send the dataset (or collate_fn / worker_init_fn) to a worker "
    "process: with the '{}' start method every worker receives a pickled copy, and lambdas, "
    "local functions and classes, generators and open files cannot be pickled. Define the "
    "dataset class and functions at module level (not inside a function or as a lambda), "
    "keep only picklable data in the dataset, or use num_workers=0."
)


class _MultiProcessingIter:
    """One pass over a DataLoader with worker processes (PyTorch's multi-process iterator).

    Task ``k`` (the k-th batch of indices) goes to worker ``k % num_workers``; results that
    arrive early wait in ``_task_info`` until their turn, so the order is the sampler's.
    """

    def __init__(self, loader):
        _warn_pin_memory(loader)
        self._dataset = loader.dataset
        self._iterable = loader._iterable
        self._auto_collation = loader._auto_collation
        self._index_sampler = loader._index_sampler
        self._num_workers = n = loader.num_workers
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._sampler_iter = iter(self._index_sampler)
        # the workers' seeds come from the loader's generator, as in PyTorch
        base_seed = _random_seed(loader.generator)
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = multiprocessing.get_context()
        self._shutdown = True  # nothing to shut down until the workers exist
        self._workers = []
        self._index_queues = []
        self._result_queue = ctx.Queue()
        self._done_event = ctx.Event()
        self._shutdown = False
        try:
            for i in range(n):
                index_queue = ctx.Queue()
                # the main process never needs to wait for its puts to be flushed
                index_queue.cancel_join_thread()
                w = ctx.Process(
                    target=_worker.worker_loop,
                    args=(self._iterable, self._dataset, index_queue, self._result_queue,
                          self._done_event, self._auto_collation, loader.collate_fn,
                          loader.drop_last, base_seed, loader.worker_init_fn, i, n),
                    name=f"DataLoaderWorker-{i}",  # how it shows in active_children()
                    daemon=True,
                )
                self._index_queues.append(index_queue)
                try:
                    w.start()
                except (TypeError, AttributeError, pickle.PicklingError) as exc:
                    self._index_queues.pop()
                    note(exc, _PICKLE_HINT.format(ctx.get_start_method()))
                    raise
                self._workers.append(w)
        except BaseException:
            self._workers_status = [True] * len(self._workers)
            self._shutdown_workers()
            raise
        self._reset(loader, first_iter=True)

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._index_sampler)

    def _reset(self, loader, first_iter=False):
        self._sampler_iter = iter(self._index_sampler)
        self._send_idx = 0  # the next task to send
        self._rcvd_idx = 0  # the next task to return
        self._task_info = {}  # task -> (worker,) while out, (worker, data) once back early
        self._tasks_outstanding = 0
        n = self._num_workers
        self._workers_status = [True] * n
        self._workers_num_tasks = [0] * n
        self._worker_cycle = itertools.cycle(range(n))
        if not first_iter:
            # persistent workers: drop what the last epoch left in flight
            for q in self._index_queues:
                q.put(_worker._ResumeIteration())
            pending = n
            while pending > 0:
                idx, _ = self._get_data()
                if isinstance(idx, _worker._ResumeIteration):
                    pending -= 1
        for _ in range(self._prefetch_factor * n):
            self._try_put_index()

    def _try_put_index(self):
        max_tasks = self._prefetch_factor * self._num_workers
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        status = self._workers_status
        for _ in range(self._num_workers):  # the next worker still active, if any
            w = next(self._worker_cycle)
            if status[w] and (self._in_order
                              or self._workers_num_tasks[w] < max_tasks // sum(status)):
                break
        else:
            return
        self._index_queues[w].put((self._send_idx, index))
        self._task_info[self._send_idx] = (w,)
        self._workers_num_tasks[w] += 1
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _get_data(self):
        """The next (task, data) any worker sent; raises if workers died or time ran out."""
        timeout = self._timeout
        deadline = time.monotonic() + timeout if timeout > 0 else None
        while True:
            wait = _LIVENESS_INTERVAL
            if deadline is not None:
                wait = min(wait, max(deadline - time.monotonic(), 0.0))
            try:
                return pickle.loads(self._result_queue.get(timeout=wait))
            except queue.Empty as exc:
                failed = []
                for i, w in enumerate(self._workers):
                    if self._workers_status[i] and not w.is_alive():
                        failed.append(w)
                        self._mark_worker_unavailable(i)
                if failed:
                    pids = ", ".join(str(w.pid) for w in failed)
                    err = RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")
                    note(err, "A worker process ended without reporting an error: it was "
                              "killed (often for lack of memory) or called os._exit.")
                    try:
                        raise err from exc
                    finally:
                        del err  # no frame <-> traceback cycle holding this iterator
                if deadline is not None and time.monotonic() >= deadline:
                    raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None

    def __next__(self):
        while True:
            # skip tasks of workers whose IterableDataset ran out before answering them
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info:
                    if len(info) == 2 or self._workers_status[info[0]]:
                        break
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration

            if len(self._task_info[self._rcvd_idx]) == 2:  # it came back early
                worker, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process(data, worker)

            idx, data = self._get_data()
            self._tasks_outstanding -= 1
            if isinstance(data, _worker._IterableDatasetStopIteration):
                if self._persistent:
                    self._workers_status[data.worker_id] = False
                else:
                    self._mark_worker_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                if not self._in_order:
                    worker = self._task_info.pop(idx)[0]
                    return self._process(data, worker)
                self._task_info[idx] += (data,)
            else:
                worker = self._task_info.pop(idx)[0]
                self._rcvd_idx += 1
                return self._process(data, worker)

    def _process(self, data, worker):
        self._workers_num_tasks[worker] -= 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _mark_worker_unavailable(self, worker_id):
        # None tells the worker to exit once it has read everything before it
        self._index_queues[worker_id].put(None)
        self._workers_status[worker_id] = False

    def _shutdown_workers(self):
        if self._shutdown:
            return
        self._shutdown = True
        try:
            self._done_event.set()
            for i in range(len(self._workers)):
                if self._persistent or self._workers_status[i]:
                    self._mark_worker_unavailable(i)
            for w in self._workers:
                w.join(timeout=_worker.STATUS_CHECK_INTERVAL * 5)
            for q in self._index_queues:
                q.cancel_join_thread()
                q.close()
        finally:
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=_worker.STATUS_CHECK_INTERVAL * 5)
            self._result_queue.cancel_join_thread()
            self._result_queue.close()

    def __del__(self):
        # the loop ended early (break, exception) or the loader went away: stop the workers
        if getattr(self, "_shutdown", True):
            return
        try:
            self._shutdown_workers()
        except Exception:
            pass  # at interpreter exit, multiprocessing may have torn the workers down already
