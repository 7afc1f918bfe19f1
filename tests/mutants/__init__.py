"""Catalogues of plausible wrong implementations (mutants), one module per lecture.

Each module ``tests/mutants/<slug>.py`` defines ``catalogue = MutantCatalogue()`` and
registers functions with ``@catalogue.mutant("<graded name>", "<what is wrong>")``. Each
mutant is a complete ``def`` with the graded function's name and signature, so the demo
class can paste it into a notebook. ``tests/test_exercises.py`` proves that every mutant
fails at least one hidden scenario.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Mutant:
    name: str  # the graded function or class it imitates
    description: str
    implementation: Callable[..., Any]


@dataclass
class MutantCatalogue:
    """The mutants of one lecture; ``reference`` is its solutions module's name."""

    reference: str
    mutants: list[Mutant] = field(default_factory=list)

    def mutant(self, name: str, description: str) -> Callable:
        """Register the decorated function as a mutant of ``name``.

        The decorator gives back the *reference* object, so the module-level name stays
        bound to it: a mutant that calls a helper (``sigmoid``, ``dense_layer``) calls the
        correct one, exactly as it would in a notebook where only one function is wrong.
        """
        def register(implementation: Callable[..., Any]) -> Any:
            self.mutants.append(Mutant(name, description, implementation))
            return getattr(importlib.import_module(self.reference), name)
        return register

    def for_name(self, name: str) -> list[Mutant]:
        return [m for m in self.mutants if m.name == name]


def load_catalogue(slug: str) -> MutantCatalogue:
    return importlib.import_module(f"tests.mutants.{slug}").catalogue
