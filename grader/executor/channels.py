"""The grader's kernel client: channels that cannot sleep through a message that has arrived.

pyzmq's asyncio ``poll`` can miss the wake-up for a message that reaches a socket while the
same socket is being sent on. nbclient does exactly that in a cell that shows an ipywidgets
``Output`` (every ``interactive`` widget holds one): while it waits on the shell socket for the
cell's execute reply, its model of the Output widget sends comm messages on that socket
(jupyter/nbclient#312). The reply then sat unread, the kernel idle, until the cell's time limit
(20 s) ran out: about one widget cell in forty, and so one or two submissions in ten on a lecture
with three widgets. A channel that polls again every :data:`POLL_SLICE` seconds finds such a
message within one slice, and a message that arrives normally still wakes it at once.
"""
from __future__ import annotations

import time
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from traitlets import Type

POLL_SLICE = 0.25  # seconds: the most a missed wake-up can cost


class PromptChannel(AsyncZMQSocketChannel):
    """An asyncio channel whose ``get_msg`` polls in slices of :data:`POLL_SLICE` seconds."""

    async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:
        """The next message; ``Empty`` after ``timeout`` seconds (None: wait for one)."""
        assert self.socket is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = POLL_SLICE if deadline is None else max(0.0, min(POLL_SLICE, deadline - time.monotonic()))
            if await self.socket.poll(int(left * 1000)):
                return await self._recv()
            if deadline is not None and time.monotonic() >= deadline:
                raise Empty


class PromptKernelClient(AsyncKernelClient):
    """jupyter_client's asyncio kernel client with :class:`PromptChannel` for shell and IOPub."""

    shell_channel_class = Type(PromptChannel)  # type: ignore[assignment]
    iopub_channel_class = Type(PromptChannel)  # type: ignore[assignment]
