"""Progress bars for long steps: shown on a terminal, quiet otherwise."""

from __future__ import annotations

import sys
from contextlib import contextmanager

from tqdm import tqdm   # not tqdm.auto: no widget bars, and no warning, in notebooks


def on_terminal() -> bool:
    return sys.stderr.isatty()


@contextmanager
def steps(names: list[str]):
    """A bar over named steps; yields a callable that marks the current step done."""
    bar = tqdm(total=len(names), desc=names[0] if names else "", disable=not on_terminal(),
               leave=False, unit="step")
    done = [0]

    def step():
        done[0] += 1
        bar.update(1)
        if done[0] < len(names):
            bar.set_description(names[done[0]])

    try:
        yield step
    finally:
        bar.close()
