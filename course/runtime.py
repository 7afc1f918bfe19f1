"""How a notebook is being run: by a person, or by the autograder.

nbgrader sets ``NBGRADER_EXECUTION`` while it autogrades or validates a notebook. Demo and
training cells that are not graded then run in a reduced mode, so a submission grades in
seconds rather than in the notebook's full running time.
"""
from __future__ import annotations

import os
import random
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def grading() -> bool:
    """True while nbgrader (or the course grader) executes the notebook."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def full_or_quick(full: T, quick: T) -> T:
    """``full`` for a person running the notebook, ``quick`` under autograding."""
    return quick if grading() else full


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed Python, numpy and (if imported) torch; return a fresh numpy Generator."""
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a course dependency
        pass
    else:
        torch.manual_seed(seed)
    return np.random.default_rng(seed)
