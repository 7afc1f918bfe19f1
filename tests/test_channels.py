"""The grader's kernel channels: a message that has arrived is found within one poll slice even
when the socket's poll misses its wake-up (jupyter/nbclient#312: a widget cell's execute reply
sat unread until the cell's 20 s limit)."""
from __future__ import annotations

import asyncio
from queue import Empty

import pytest

from grader.executor.channels import POLL_SLICE, PromptChannel, PromptKernelClient
from grader.executor.kernel import SandboxedKernelManager

REPLY = {"msg_type": "execute_reply"}


class Socket:
    """A stand-in for a zmq.asyncio socket: ``misses`` polls wait out their time although a message
    is waiting (a missed wake-up), later ones see it; with ``misses=None`` no message ever comes."""

    def __init__(self, misses: int | None) -> None:
        self.misses = misses
        self.polls: list[int] = []

    async def poll(self, timeout_ms: int) -> int:
        self.polls.append(timeout_ms)
        if self.misses is None or len(self.polls) <= self.misses:
            await asyncio.sleep(timeout_ms / 1000)
            return 0
        return 1


def channel_on(socket: Socket) -> PromptChannel:
    channel = PromptChannel.__new__(PromptChannel)  # no real socket or session needed

    async def receive() -> dict:
        return REPLY

    channel.socket = socket
    channel._recv = receive
    return channel


def test_a_missed_wake_up_costs_one_slice_not_the_timeout():
    socket = Socket(misses=1)
    assert asyncio.run(channel_on(socket).get_msg(timeout=20)) == REPLY
    assert len(socket.polls) == 2, socket.polls
    assert max(socket.polls) <= POLL_SLICE * 1000


def test_no_message_is_empty_after_the_timeout_in_slices():
    socket = Socket(misses=None)
    with pytest.raises(Empty):
        asyncio.run(channel_on(socket).get_msg(timeout=2.5 * POLL_SLICE))
    assert max(socket.polls) <= POLL_SLICE * 1000
    assert len(socket.polls) >= 3  # the whole timeout was waited for, slice by slice


def test_the_grading_kernel_manager_hands_out_the_prompt_client():
    client = SandboxedKernelManager().client()
    assert isinstance(client, PromptKernelClient)
    assert client.shell_channel_class is PromptChannel and client.iopub_channel_class is PromptChannel
