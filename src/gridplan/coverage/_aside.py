"""HiGHS on a whole set-covering model in a worker process of its own, while the heuristics
go on in this one (HiGHS holds the GIL, so a thread would take turns with them).

The worker is a fresh interpreter (``subprocess``), not a fork of this process: a fork
copies every lock another thread holds at that moment, held for ever in the child (pytest,
Jupyter and Dask all run threads beside the caller's), and ``multiprocessing``'s other
start methods run the caller's ``__main__`` again. The worker loads NumPy and highspy only
(0.2 s; :func:`prestart` starts one ahead of need), reads the model from its stdin and
sends what HiGHS finds on a pipe as it comes: every improving cover, the dual bound as it
rises, then the final answer.

HiGHS times itself on the wall clock, which a VM resumed from a pause can step ahead; its
time limit is counted to the caller's deadline on the monotonic clock (the start-up
included). A worker that ends without a proof before EARLY_END_SHARE of its time (it
died, or its clock jumped) is started again, at most RESTARTS times. HiGHS' sub-MIPs do
not call its interrupt callbacks (10 s without a call, seen here), so the time limit, not
an interrupt, is what ends it."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path

import numpy as np

#: Least seconds between two of HiGHS' dual bounds sent to the caller while it solves.
BOUND_EVERY_S = 0.05
#: Seconds to wait for the worker's final answer past its deadline before ending it.
JOIN_GRACE_S = 1.0
#: A worker that ended without a proof before this share of its time is started again,
#: at most RESTARTS times, when RESTART_LEAST_S or more are left.
EARLY_END_SHARE = 0.5
RESTARTS = 2
RESTART_LEAST_S = 1.0
#: Relative slack when comparing costs.
TOL = 1e-9
#: The worker's program (tests put another in its place to make a worker fail).
WORKER = "from gridplan.coverage._aside import main; main()"


class HighsAside:
    """:func:`~gridplan.coverage._models.highs_cover` of ``a`` in a worker process for
    ``seconds`` (on this process' ``time.perf_counter`` clock), covers collected as they
    come. Covers costing ``below`` or more are not sent. When no worker can be started,
    ``aside`` is false and :meth:`run_here` runs HiGHS in this process instead."""

    def __init__(self, a, cost, seconds: float, seed: int, presolve: bool = True,
                 below: float = np.inf):
        csc = a.tocsc()
        self._model = dict(shape=a.shape, indptr=csc.indptr, indices=csc.indices,
                           cost=np.asarray(cost, np.float64), presolve=bool(presolve),
                           below=float(below))
        self._a, self._seed = a, seed
        self._start = time.perf_counter()
        self._seconds = max(float(seconds), 0.0)
        self._deadline = self._start + self._seconds
        self._res, self._proc, self._conn, self._err = None, None, None, None
        self._finalizer, self._started, self._ended_at = None, False, None
        self.restarts = 0
        self.ended: str | None = None  # how the last worker ended, when it gave no proof
        self._launch(seed)

    # the worker's life

    def _launch(self, seed: int) -> None:
        worker = _worker()
        if worker is None:
            return
        job = dict(self._model, seed=int(seed), deadline=self._deadline, fd=worker.fd)
        if not worker.give(job):  # a spare that died waiting
            worker.end()
            worker = _Worker.start()
            if worker is None:
                return
            if not worker.give(job):
                worker.end()
                return
        self._proc, self._conn, self._err = worker.proc, worker.conn, worker.err
        self._ended_at, self._started = None, True
        # a caller that forgets the worker (an exception) still ends it
        self._finalizer = weakref.finalize(self, _end, worker.proc, worker.conn, worker.err)

    @property
    def aside(self) -> bool:
        """Whether a worker was started (else use :meth:`run_here`)."""
        return self._started

    def run_here(self, seconds: float) -> None:
        """HiGHS in this process for ``seconds`` (no worker could be started)."""
        from ._models import highs_cover
        m = self._model
        self._res = highs_cover(self._a, m["cost"], max(seconds, 0.01), seed=self._seed,
                                presolve=m["presolve"])

    def poll(self, timeout: float = 0.0, *, restart: bool = True):
        """The latest answer (the final one once it has come; else the last improving
        cover, with the best bound so far), or None. A worker found to have ended early
        without a proof is started again here, with ``restart`` (see EARLY_END_SHARE)."""
        if self._proc is None:
            return self._res
        if not (self._res is not None and self._res.get("final")):
            try:
                while self._conn.poll(timeout):
                    self._take(self._conn.recv())
                    if self._res.get("final"):
                        break
                    timeout = 0.0
            except (EOFError, OSError):  # the worker ended: no more answers
                self._note_end()
        self._check_end(restart)
        return self._res

    def _note_end(self) -> None:
        if self._ended_at is None:
            self._ended_at = time.perf_counter()

    def _check_end(self, restart: bool) -> None:
        res = self._res
        final = res is not None and res.get("final")
        if final and res["optimal"]:
            return
        if not final and self._ended_at is None and self._proc.poll() is None:
            return  # still working
        self._note_end()
        early = self._ended_at - self._start < EARLY_END_SHARE * self._seconds
        if (early or not final) and self.ended is None:
            self.ended = self._describe_end(final)
        if (restart and early and self.restarts < RESTARTS
                and self._deadline - time.perf_counter() >= RESTART_LEAST_S):
            self._stop()
            self.restarts += 1
            self.ended = None
            if self._res is not None:
                self._res = dict(self._res, final=False)
            self._launch(self._seed + 101 * self.restarts)

    def trouble(self) -> str:
        """How a worker ended without a proof before its time ('' when none did), for a
        solve's status."""
        if not self.ended:
            return ""
        again = f", started again {self.restarts}x" if self.restarts else ""
        return f"{self.ended}{again}"

    def _describe_end(self, final: bool) -> str:
        if final:
            return f"HiGHS stopped early: {self._res['status']}"
        try:  # its pipe closes a moment before it is gone
            code = self._proc.wait(0.5)
        except subprocess.TimeoutExpired:
            code = None
        last = ""
        try:
            self._err.seek(0)
            lines = self._err.read().decode("utf-8", "replace").strip().splitlines()
            last = f": {lines[-1]}" if lines else ""
        except (OSError, ValueError):
            pass
        return f"the HiGHS worker ended with code {code}{last}"

    def _take(self, msg: dict) -> None:
        """A message from the worker over the ones before: the latest cover, the best
        bound."""
        old = self._res
        if old is not None:
            if msg["x"] is None:
                msg["x"] = old["x"]
            msg["bound"] = max(msg["bound"], old["bound"])
        self._res = msg

    def _stop(self) -> None:
        if self._proc is not None:
            self._finalizer()
            self._proc, self._finalizer = None, None

    def result(self, deadline: float, *, wait: bool):
        """The answer, waiting (with ``wait``) for the final one until a little past
        ``deadline``; the worker is ended either way."""
        if self._proc is not None and wait:
            while not (self._res is not None and self._res.get("final")):
                left = deadline + JOIN_GRACE_S - time.perf_counter()
                # (a worker that ended and was not started again has nothing more to say)
                if left <= 0 or self._proc is None or self._ended_at is not None:
                    break
                self.poll(min(left, 0.1))
        self.poll(restart=False)
        self._stop()
        return self._res


class _Worker:
    """A worker process started and waiting for its job on stdin, with the pipe it will
    answer on."""

    def __init__(self, proc, conn, fd, err):
        self.proc, self.conn, self.fd, self.err = proc, conn, fd, err

    @classmethod
    def start(cls) -> _Worker | None:
        if not sys.executable:
            return None
        from multiprocessing.connection import Connection
        read, write = os.pipe()
        err = tempfile.TemporaryFile()
        try:
            proc = subprocess.Popen([sys.executable, "-c", WORKER], stdin=subprocess.PIPE,
                                    stdout=subprocess.DEVNULL, stderr=err,
                                    pass_fds=(write,), env=worker_env())
        except (OSError, ValueError):  # no process to be had (or no pass_fds: Windows)
            os.close(read)
            err.close()
            return None
        finally:
            os.close(write)
        return cls(proc, Connection(read, writable=False), write, err)

    def give(self, job: dict) -> bool:
        """Send the job (from a thread: a fresh worker reads it only once it has loaded
        NumPy, and a pipe holds 64 KB); False when the worker is already gone."""
        if self.proc.poll() is not None:
            return False
        data = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        threading.Thread(target=_send, args=(self.proc.stdin, data), daemon=True).start()
        return True

    def end(self) -> None:
        _end(self.proc, self.conn, self.err)


#: A worker started ahead of need (see :func:`prestart`), or None; taken under the lock
#: (solves may run in threads side by side).
_spare: _Worker | None = None
_spare_lock = threading.Lock()


def prestart() -> None:
    """Start a worker now, while the caller does something else, for the next
    :class:`HighsAside` to take: its 0.2 s start-up is then off the critical path (a CFT run
    that settles the part leaves it for the next part, or for :func:`end_spare`)."""
    global _spare
    with _spare_lock:
        if _spare is not None and _spare.proc.poll() is None:
            return
        old, _spare = _spare, _Worker.start()
    if old is not None:
        old.end()


def end_spare() -> None:
    """End a worker started ahead of need and not taken."""
    global _spare
    with _spare_lock:
        old, _spare = _spare, None
    if old is not None:
        old.end()


def _worker() -> _Worker | None:
    """The spare worker when there is a live one, else a new one."""
    global _spare
    with _spare_lock:
        worker, _spare = _spare, None
    if worker is not None and worker.proc.poll() is None:
        return worker
    if worker is not None:
        worker.end()
    return _Worker.start()


def _send(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.close()
    except (OSError, ValueError):  # the worker died or was ended: seen on the answer pipe
        pass


def _end(proc: subprocess.Popen, conn, err) -> None:
    if proc.poll() is None:
        proc.kill()
    try:
        proc.wait(1.0)
    except subprocess.TimeoutExpired:
        pass
    if proc.stdin is not None:
        try:
            proc.stdin.close()
        except (OSError, ValueError):
            pass
    conn.close()
    err.close()


def worker_env() -> dict:
    """The caller's environment, with this copy of gridplan first on the worker's path."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


# the worker's side


def main() -> None:
    """The worker: the model from stdin, what HiGHS finds to the pipe named in it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle
    serve(pickle.load(sys.stdin.buffer))


def serve(job: dict) -> None:
    """HiGHS on ``job``'s model until it is proven, or until ``job['deadline']`` (the
    caller's ``time.perf_counter``: the same monotonic clock here), or until the caller is
    gone."""
    from multiprocessing.connection import Connection

    from ._models import highs_cover_columns, highs_cover_result
    _die_with_parent()
    parent = os.getppid()
    conn = Connection(job["fd"], readable=False)
    below = job["below"]
    h = highs_cover_columns(job["shape"], job["indptr"], job["indices"], job["cost"],
                            job["deadline"] - time.perf_counter(), seed=job["seed"],
                            presolve=job["presolve"])
    h.enableCallbacks()  # this process holds its own GIL
    sent = [-np.inf, 0.0]  # the last bound sent, and when (HiGHS' running time)

    def improved(e):
        if not e.data_out.objective_function_value < below * (1 - TOL):
            return
        x = np.flatnonzero(np.asarray(e.data_out.mip_solution) > 0.5).astype(np.int32)
        conn.send(dict(x=x, bound=-np.inf, optimal=False, status="improving cover"))

    def bound_rose(e):
        # the dual bound, when it rose, at most every BOUND_EVERY_S: the caller stops its
        # heuristics once their cover meets it
        if os.getppid() != parent:  # the caller is gone (where _die_with_parent cannot)
            e.interrupt()
        b, t = float(e.data_out.mip_dual_bound), float(e.data_out.running_time)
        if np.isfinite(b) and b > sent[0] + TOL * max(abs(b), 1.0) and (
                t - sent[1] >= BOUND_EVERY_S or sent[0] == -np.inf):
            sent[:] = [b, t]
            conn.send(dict(x=None, bound=b, optimal=False, status="bound"))

    h.cbMipImprovingSolution.subscribe(improved)
    h.cbMipInterrupt.subscribe(bound_rose)
    h.run()
    conn.send(dict(highs_cover_result(h), final=True))
    conn.close()


def _die_with_parent() -> None:
    """On Linux, the kernel ends this worker when its caller dies (SIGKILL included)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
