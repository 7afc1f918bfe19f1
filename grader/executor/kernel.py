"""Executing a submitted notebook in a sandboxed Jupyter kernel, within its time limits.

The kernel is an ordinary ipykernel started inside :class:`~grader.executor.sandbox.Sandbox`.
It has no network, so it talks to the grader over Unix sockets (ZeroMQ's ``ipc`` transport)
in a folder bound into the sandbox; interrupts go as messages, since a signal would reach
bubblewrap rather than the kernel.

:class:`GradingClient` is nbclient's executor with the course's rules:
- a cell that passes its time limit is interrupted; one that ignores the interrupt (a bare
  ``except:`` in a retry loop) is killed, and grading goes on in a fresh kernel;
- a kernel that dies (or is killed) is replaced, and the fresh one first re-runs, silently,
  the setup cell and the answer cells before the failing cell, so the failure costs that
  cell, not every exercise after it;
- past the submission's wall-time limit the remaining cells are not run;
- outputs beyond a size limit are cut, with a note.
"""
from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from queue import Empty

import zmq
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from jupyter_core.utils import ensure_async
from nbformat import NotebookNode
from traitlets import Type

from grader.executor.channels import PromptKernelClient
from grader.executor.sandbox import Sandbox

TIME_LIMIT_ERROR = "TimeLimitExceeded"
KILLED_ERROR = "KernelKilled"
DEATH_ERROR = "DeadKernelError"
NOT_RUN_ERROR = "SubmissionTimeLimit"
INTERRUPT_GRACE = 3.0  # seconds a cell gets to stop after the interrupt before it is killed


def _error(name: str, text: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=name, evalue=text, traceback=[f"{name}: {text}"])


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs in the sandbox and listens on Unix sockets."""

    # Its client's channels find a message that has arrived (see grader.executor.channels).
    client_factory = Type(PromptKernelClient)

    def configure(self, sandbox: Sandbox, scratch: Path, writable: Path | None = None) -> None:
        """Place the connection file in ``scratch`` and the sockets in ``writable`` (the
        sandbox's disk; ``scratch`` too by default), and confine the kernel."""
        sockets, connection = (writable or scratch) / "ipc", scratch / "connection"
        for folder in (sockets, connection):
            folder.mkdir(parents=True, exist_ok=True)
        sandbox.give(sockets)  # the kernel creates its sockets here
        self.transport = "ipc"
        self.ip = str(sockets / "kernel")
        # The connection file sits in a folder the sandbox cannot write, so it cannot be
        # swapped for a link that the grader (maybe root) would write through on a restart.
        self.connection_file = str(connection / "kernel.json")
        self._sandbox, self._scratch = sandbox, scratch
        self._sockets, self._connection = sockets, connection

    def _connect_control_socket(self) -> None:
        super()._connect_control_socket()
        # A kernel whose code broke its own sockets must not block the grader's interrupt.
        self._control_socket.setsockopt(zmq.SNDTIMEO, int(INTERRUPT_GRACE * 1000))

    async def _async_interrupt_kernel(self) -> None:
        try:
            await super()._async_interrupt_kernel()
        except zmq.ZMQError:  # a wedged kernel cannot take the message; it is killed next
            pass

    def kill_now(self) -> None:
        """Kill the sandbox (and so the kernel) at once, from any thread."""
        process = getattr(self.provisioner, "process", None)
        if process is not None and process.poll() is None:
            process.kill()

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        self._sandbox.give(Path(self.connection_file))

    def sandboxed_spec(self, cwd: Path, home: Path) -> None:
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                "--IPKernelApp.log_level=CRITICAL"]
        command, env = self._sandbox.command(argv, cwd=cwd, home=home, readonly=[self._connection],
                                             writable=[self._sockets])
        self._kernel_spec = KernelSpec(argv=command, display_name="sandboxed Python", language="python",
                                       interrupt_mode="message", env=env)


class GradingClient(NotebookClient):
    """nbclient's executor, sandboxed, with per-cell, per-submission and output limits."""

    def __init__(self, notebook: NotebookNode, sandbox: Sandbox, scratch: Path, setup_source: str = "",
                 writable: Path | None = None, **kwargs) -> None:
        """``scratch`` holds the grader's own files; ``writable`` (``scratch`` by default) the
        folders the kernel may write: its working folder, home and sockets."""
        limits = sandbox.limits
        self._setup_source = setup_source
        self._writable = writable or scratch
        self._work = self._writable / "work"
        self._home = self._writable / "home"
        for folder in (self._work, self._home):
            folder.mkdir(parents=True, exist_ok=True)
            sandbox.give(folder)
        super().__init__(notebook, timeout=limits.cell_seconds, interrupt_on_timeout=True, allow_errors=True,
                         shutdown_kernel="immediate", startup_timeout=120, iopub_timeout=2,
                         resources={"metadata": {"path": str(self._work)}}, **kwargs)
        self._sandbox, self._scratch = sandbox, scratch
        self._deadline = time.monotonic() + limits.submission_seconds
        self._output_budget = limits.output_kb * 1024
        self._output_cut = False
        self._timed_out = False
        self.timeout_func = self._cell_timeout

    def execute_within_limit(self) -> None:
        """Execute the notebook; past the wall limit (plus a margin), kill the kernel.

        The last line of defence against code that wedges the kernel's connection itself:
        nbclient runs in a thread, and a watchdog kills the sandbox if it is still running.
        """
        done = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            try:
                self.execute()
            except BaseException as error:  # reported to the caller below
                failure.append(error)
            finally:
                done.set()

        thread = threading.Thread(target=run, name="grading-kernel", daemon=True)
        thread.start()
        margin = self._sandbox.limits.cell_seconds + 30
        if not done.wait(self._sandbox.limits.submission_seconds + margin):
            if self.km is not None:
                self.km.kill_now()
            done.wait(30)
        if not done.is_set():
            raise TimeoutError("the kernel stopped responding and was stopped at the submission's time limit")
        if failure:
            raise failure[0]

    async def _async_cleanup_kernel(self) -> None:
        """Kill the sandbox, then close the client's channels without waiting on a wedged one."""
        if self.km is None:
            return
        self.km.kill_now()
        try:
            await self.km.shutdown_kernel(now=True)
        except Exception:  # already dead: nothing to stop
            pass
        await ensure_async(self.km.cleanup_resources())
        if self.kc is not None:
            closer = threading.Thread(target=self.kc.stop_channels, name="close-channels", daemon=True)
            closer.start()
            closer.join(5)
        self.kc = None
        self.km = None

    def create_kernel_manager(self) -> SandboxedKernelManager:
        manager = SandboxedKernelManager()
        manager.configure(self._sandbox, self._scratch, self._writable)
        manager.sandboxed_spec(self._work, self._home)
        self.km = manager
        return manager

    def _cell_timeout(self, cell: NotebookNode) -> int:
        """The cell limit (the setup cell's own when ``cell`` is the release's setup cell; a
        shorter one once a cell has run out of time), never past the submission's deadline."""
        limits = self._sandbox.limits
        if self._setup_source and cell.source == self._setup_source:
            limit = limits.setup_seconds
        elif self._timed_out:
            limit = min(limits.cell_seconds, limits.after_timeout_seconds)
        else:
            limit = limits.cell_seconds
        remaining = self._deadline - time.monotonic()
        return max(1, int(min(limit, remaining)))

    async def _async_handle_timeout(self, timeout: int, cell: NotebookNode | None = None):
        """Interrupt the cell; kill the kernel if the cell will not stop."""
        self._timed_out = True
        if cell is not None:
            cell.outputs.append(_error(TIME_LIMIT_ERROR, f"the cell ran past its time limit ({timeout} s)"))
        try:
            await self.km.interrupt_kernel()
            reply = await self.kc.shell_channel.get_msg(timeout=INTERRUPT_GRACE)
        except (Empty, zmq.ZMQError):
            if cell is not None:
                cell.outputs.append(_error(KILLED_ERROR, "the cell ignored the interrupt and was stopped"))
            raise DeadKernelError("killed at the time limit") from None
        return reply

    def output(self, outs, msg, display_id, cell_index):
        if self._output_budget <= 0:
            self._cut(outs)
            return None
        out = super().output(outs, msg, display_id, cell_index)
        if out is None:
            return None
        size = len(json.dumps(out))
        if size > self._output_budget:  # this output alone passes the limit: keep what fits of a text
            outs.remove(out)
            if out.get("output_type") == "stream":
                out["text"] = out["text"][: self._output_budget]
                outs.append(out)
            self._output_budget = 0
            self._cut(outs)
            return None
        self._output_budget -= size
        return out

    def _cut(self, outs) -> None:
        if not self._output_cut:
            self._output_cut = True
            outs.append(NotebookNode(output_type="stream", name="stderr",
                                     text="\n[output cut here: the notebook's outputs passed the grader's size limit]\n"))

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if cell.cell_type != "code":
            return cell
        if time.monotonic() >= self._deadline:
            cell.outputs = [_error(NOT_RUN_ERROR, "not run: the submission reached its time limit "
                                                  f"({self._sandbox.limits.submission_seconds} s)")]
            return cell
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        except DeadKernelError:
            if time.monotonic() >= self._deadline:  # stopped by the watchdog at the wall limit
                cell.outputs.append(_error(TIME_LIMIT_ERROR, "stopped: the submission reached its time limit"))
                return cell
            if not any(o.get("ename") == KILLED_ERROR for o in cell.outputs):
                cell.outputs.append(_error(DEATH_ERROR, "the kernel died while running this cell; "
                                                        "grading went on in a fresh kernel"))
            await self._restart()
            await self._replay(cell_index)
            return cell

    async def _replay(self, failed_index: int) -> None:
        """Rebuild the state a fresh kernel lost: setup and answer cells before ``failed_index``."""
        code_cells = [i for i, c in enumerate(self.nb.cells) if c.cell_type == "code"]
        setup = code_cells[0] if code_cells else None
        for index in code_cells:
            if index >= failed_index:
                break
            cell = self.nb.cells[index]
            if index != setup and not cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                continue
            try:
                await self.kc.execute_interactive(cell.source, silent=True, store_history=False,
                                                  timeout=self._cell_timeout(cell), output_hook=lambda msg: None)
            except Exception:  # a cell that fails again simply leaves its names undefined
                if not await self.km.is_alive():
                    await self._restart()

    async def _restart(self) -> None:
        """Kill the kernel (dead or stuck) and start a fresh one, with a fresh client.

        The old client's sockets may be wedged by what the old kernel did, so they are
        dropped (closed in the background) rather than reused.
        """
        self.km.kill_now()
        await self.km.restart_kernel(now=True)
        old = self.kc
        if old is not None:
            threading.Thread(target=old.stop_channels, name="close-channels", daemon=True).start()
        self.kc = self.km.client()
        await ensure_async(self.kc.start_channels())
        await self.kc.wait_for_ready(timeout=self.startup_timeout)
