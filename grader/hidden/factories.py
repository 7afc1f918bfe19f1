"""Scenario factories: the promises every exercise's docstring makes, checked the same way.

A lecture's scenario module registers these on its book instead of writing the same checks
by hand, e.g.::

    factories.returned_dtype(book, "softmax", lambda: (_logits().astype(np.float32),),
                             "float32 logits give a float64 array")
    factories.inputs_unchanged(book, "softmax", lambda: (_logits(),))
    factories.raises(book, "cross_entropy", {"labels one short": lambda: (_logits(), _labels()[:-1])})

Each factory adds one scenario whose result is plain data, compared with the reference's like
any other scenario. ``make_args`` is called afresh on every run, so a function that changes
its inputs cannot affect the reference's run.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from grader.hidden import ScenarioBook, error_name

Args = Callable[[], tuple]


def _kind(value: Any) -> str:
    """What a returned value is, as data: ``"ndarray float64"``, ``"Tensor float32"``, ``"float"``."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        return f"{type(value).__name__} {str(dtype).removeprefix('torch.')}"
    return type(value).__name__


def _as_data(value: Any) -> Any:
    if hasattr(value, "detach"):  # a torch tensor
        return value.detach().cpu().double().numpy()
    if isinstance(value, np.ndarray):
        return value.astype(np.float64) if value.dtype.kind in "biuf" else value
    return value


def _nested(convert: Callable[[Any], Any], value: Any) -> Any:
    """``convert`` applied to every item of a value made of tuples and lists."""
    if isinstance(value, (tuple, list)):
        return [_nested(convert, item) for item in value]
    return convert(value)


def _parts(values: tuple, nested: bool) -> list:
    """The values and, when nested, the items of those that are tuples or lists."""
    if not nested:
        return list(values)
    return [part for value in values
            for part in ([value, *value] if isinstance(value, (tuple, list)) else [value])]


def returned_dtype(book: ScenarioBook, name: str, make_args: Args, description: str, *,
                   rtol: float = 1e-6, atol: float = 1e-8, hint: str | None = None,
                   nested: bool = False) -> None:
    """``name(*make_args())`` returns the reference's type and dtype, and its values; with
    ``nested``, those of every item of a result made of tuples and lists (such as ``(h, c)``)."""
    def run(candidate):
        result = candidate(*make_args())
        if nested:
            return {"kind": _nested(_kind, result), "value": _nested(_as_data, result)}
        return {"kind": _kind(result), "value": _as_data(result)}
    run.__doc__ = description
    book.scenario(name, rtol=rtol, atol=atol, hint=hint or "check the returned dtype the docstring promises")(run)


def _snapshot(value: Any) -> np.ndarray | None:
    """A numpy copy of an array or tensor argument's values; None for any other argument."""
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)
    if hasattr(value, "detach"):  # a torch tensor
        return np.array(value.detach().cpu().numpy(), copy=True)
    return None


def inputs_unchanged(book: ScenarioBook, name: str, make_args: Args,
                     description: str = "the inputs are left as they were and none is returned", *,
                     hint: str | None = "do not modify the inputs in place; return a new array",
                     nested: bool = False) -> None:
    """``name(*make_args())`` leaves its array arguments (numpy arrays and torch tensors)
    unchanged and returns none of them; with ``nested``, also the arrays inside tuple and list
    arguments and results, and the lists themselves."""
    shared = (np.ndarray, list) if nested else (np.ndarray,)

    def run(candidate):
        args = make_args()
        parts = _parts(args, nested)
        before = [_snapshot(a) for a in parts]
        result = candidate(*args)
        results = result if isinstance(result, tuple) else (result,)
        returned_an_input = any(r is a for r in _parts(results, nested) for a in parts
                                if isinstance(a, shared) or hasattr(a, "detach"))
        changed = [i for i, (a, b) in enumerate(zip(parts, before))
                   if b is not None and not np.array_equal(_snapshot(a), b, equal_nan=True)]
        return {"arguments changed": changed, "returns an input": returned_an_input}
    run.__doc__ = description
    book.scenario(name, hint=hint)(run)


def raises(book: ScenarioBook, name: str, cases: Mapping[str, Args], description: str | None = None, *,
           hint: str | None = "check the documented errors: mismatched shapes must not broadcast silently") -> None:
    """For each labelled case, the name of the exception ``name(*args)`` raises (``"no error"``)."""
    def run(candidate):
        return {label: error_name(candidate, *make_args()) for label, make_args in cases.items()}
    run.__doc__ = description or f"the documented errors: {', '.join(cases)}"
    book.scenario(name, hint=hint)(run)


def invariant(book: ScenarioBook, name: str, make_args: Args, transform: Callable[[tuple], tuple],
              description: str, *, rtol: float = 1e-6, atol: float = 1e-8, hint: str | None = None) -> None:
    """``name`` gives the same result on ``make_args()`` and on ``transform(make_args())``;
    the scenario returns both results, so a candidate that breaks the invariance differs."""
    def run(candidate):
        return [_as_data(candidate(*make_args())), _as_data(candidate(*transform(make_args())))]
    run.__doc__ = description
    book.scenario(name, rtol=rtol, atol=atol, hint=hint)(run)


def detached(book: ScenarioBook, name: str, make_args: Args,
             description: str = "the result does not require grad and no network receives a gradient from it", *,
             hint: str | None = "compute the result without gradient tracking") -> None:
    """``name(*make_args())`` returns a tensor that does not require grad, and no torch module
    among the arguments gets a gradient from it (the scenario backpropagates through it if it can)."""
    def run(candidate):
        import torch
        args = make_args()
        result = candidate(*args)
        requires_grad = bool(getattr(result, "requires_grad", False))
        if requires_grad:
            result.sum().backward()
        modules = [a for a in args if isinstance(a, torch.nn.Module)]
        return {"requires grad": requires_grad,
                "parameters with a gradient": sum(p.grad is not None for m in modules for p in m.parameters())}
    run.__doc__ = description
    book.scenario(name, hint=hint)(run)


def trains_every_parameter(book: ScenarioBook, name: str, make_loss: Callable[[Any], tuple], description: str, *,
                           hint: str | None = "every parameter must take part in the loss: do not detach") -> None:
    """``make_loss(candidate)`` returns ``(module, loss)``; one backward pass through the loss gives
    every parameter tensor of the module a nonzero gradient (a tensor counts if any entry is
    nonzero). The scenario returns how many parameter tensors get none: 0 for a correct model."""
    def run(candidate):
        module, loss = make_loss(candidate)
        loss.backward()
        parameters = list(module.parameters())
        return {"has parameters": bool(parameters),
                "parameters without a gradient": sum(p.grad is None or not bool(p.grad.abs().sum() > 0)
                                                     for p in parameters)}
    run.__doc__ = description
    book.scenario(name, hint=hint)(run)


def quiet(book: ScenarioBook, name: str, make_args: Args, description: str, *,
          hint: str | None = "an overflow warning means the formula overflows there: use a form that is safe") -> None:
    """``name(*make_args())`` emits no numpy floating-point warning (overflow, invalid, division by
    zero; underflow to 0 is harmless and not counted): the scenario returns the warnings' messages,
    an empty list for a safe formula."""
    import warnings

    def run(candidate):
        with warnings.catch_warnings(record=True) as caught, \
                np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            warnings.simplefilter("always")
            candidate(*make_args())
        return sorted({str(warning.message) for warning in caught if issubclass(warning.category, RuntimeWarning)})
    run.__doc__ = description
    book.scenario(name, hint=hint)(run)
