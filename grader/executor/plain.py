"""Plain data across the trust boundary: scenario results as JSON, never pickle.

The scenario runner lives in the student's sandbox, so what it sends back is untrusted.
:func:`encode` turns the plain data scenarios return (numbers, strings, None, lists,
tuples, dicts, numpy arrays and scalars, torch tensors) into JSON; :func:`decode` rebuilds
it on the trusted side from that JSON alone, accepting only numeric and boolean array
dtypes, so reading a hostile result can at worst give wrong numbers, never run code.

This module is copied into the sandbox: it imports only the standard library and numpy.
"""
from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np

MAX_DEPTH = 40
ARRAY_KINDS = "biufc"


class NotPlainData(ValueError):
    """The JSON does not describe plain data."""


class Opaque:
    """Something that is not plain data, kept as its type name and a short repr."""

    def __init__(self, type_name: str, text: str) -> None:
        self.type_name, self.text = type_name, text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Opaque) and (self.type_name, self.text) == (other.type_name, other.text)

    def __repr__(self) -> str:
        return f"<{self.type_name} {self.text}>"


def _array(value: np.ndarray) -> dict[str, Any]:
    value = np.ascontiguousarray(value)
    return {"dtype": value.dtype.str, "shape": list(value.shape),
            "data": base64.b64encode(value.tobytes()).decode("ascii")}


def encode(value: Any, depth: int = 0) -> Any:
    """A JSON-able description of ``value``."""
    if depth > MAX_DEPTH:
        raise NotPlainData("data nested too deeply")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in ARRAY_KINDS:
        return {"__ndarray__": _array(value)}
    if isinstance(value, np.generic) and value.dtype.kind in ARRAY_KINDS:
        return {"__scalar__": _array(np.asarray(value))}
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        array = value.detach().cpu().numpy()
        if array.dtype.kind in ARRAY_KINDS:
            return {"__tensor__": _array(array)}
    if isinstance(value, list):
        return {"__list__": [encode(item, depth + 1) for item in value]}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(item, depth + 1) for item in value]}
    if isinstance(value, dict):
        return {"__dict__": [[encode(key, depth + 1), encode(item, depth + 1)] for key, item in value.items()]}
    text = repr(value) if type(value).__repr__ is not object.__repr__ else ""
    return {"__object__": [type(value).__name__, text[:120]]}


def _decode_array(spec: Any) -> np.ndarray:
    if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data"}:
        raise NotPlainData("malformed array")
    dtype = np.dtype(str(spec["dtype"]))
    if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise NotPlainData(f"array dtype {dtype} is not numeric")
    shape = tuple(int(n) for n in spec["shape"])
    raw = base64.b64decode(spec["data"], validate=True)
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def decode(data: Any, depth: int = 0) -> Any:
    """The value :func:`encode` described (raises :class:`NotPlainData` on anything else)."""
    if depth > MAX_DEPTH:
        raise NotPlainData("data nested too deeply")
    if data is None or isinstance(data, bool | int | float | str):
        return data
    if not isinstance(data, dict) or len(data) != 1:
        raise NotPlainData("unexpected JSON value")
    (tag, body), = data.items()
    if tag == "__ndarray__":
        return _decode_array(body)
    if tag == "__scalar__":
        return _decode_array(body).reshape(-1)[0]
    if tag == "__tensor__":
        import torch
        return torch.from_numpy(_decode_array(body))
    if tag in ("__list__", "__tuple__") and isinstance(body, list):
        items = [decode(item, depth + 1) for item in body]
        return items if tag == "__list__" else tuple(items)
    if tag == "__dict__" and isinstance(body, list):
        result = {}
        for pair in body:
            if not isinstance(pair, list) or len(pair) != 2:
                raise NotPlainData("malformed dict")
            key = decode(pair[0], depth + 1)
            if not isinstance(key, str | int | float | bool | tuple | type(None)):
                raise NotPlainData("unhashable dict key")
            result[key] = decode(pair[1], depth + 1)
        return result
    if tag == "__object__" and isinstance(body, list) and len(body) == 2:
        return Opaque(str(body[0])[:80], str(body[1])[:120])
    raise NotPlainData(f"unknown tag {tag[:20]!r}")


def dumps(value: Any) -> str:
    return json.dumps(encode(value))


def loads(text: str) -> Any:
    return decode(json.loads(text))
