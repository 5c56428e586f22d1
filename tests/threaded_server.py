"""The lifecycle the local stand-ins share: an aiohttp app served on 127.0.0.1 from a daemon thread with its own loop.

Because the server has its own thread and event loop, it works with any test event loop and with blocking callers
alike. A subclass names itself, adds its routes and, when it must, does extra work as the server starts or stops::

    class EchoStandIn(ThreadedServer):
        server_name = "echo stand-in"
        thread_name = "echo-standin"

        def routes(self, app: web.Application) -> None:
            app.router.add_post("/echo", self._echo)

    with EchoStandIn() as echo:
        ...  # requests to f"http://127.0.0.1:{echo.port}/echo"
"""

from __future__ import annotations

import asyncio
import socket
import threading
from abc import ABC, abstractmethod
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

from aiohttp import web

__all__ = ["ThreadedServer"]

T = TypeVar("T")


class ThreadedServer(ABC):
    """Start, stop and context-manager plumbing for one aiohttp app on a free local port, served from its own thread.

    ``start`` returns once the server accepts connections; ``stop`` (idempotent) closes the server, stops and closes
    its loop after cancelling what is still pending, and joins the thread.
    """

    server_name: ClassVar[str] = "server"
    """How messages name it: "the {server_name} is not running; call start() first"."""
    thread_name: ClassVar[str] = "threaded-server"
    """The server thread's name, before "-{port}"."""
    client_max_size: ClassVar[int] = 1024**2
    """The largest request body the app accepts (aiohttp's default)."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._sock: socket.socket | None = None
        self._port: int | None = None

    # ----------------------------------------------------------------------------------- for subclasses

    @abstractmethod
    def routes(self, app: web.Application) -> None:
        """Add the handlers to ``app`` (called on the server loop, once per ``start``)."""

    async def on_startup(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Extra setup on the server loop, before the app is built and serves (default: nothing)."""

    async def on_shutdown(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Extra teardown on the server loop, before the server closes, e.g. closing WebSockets (default: nothing)."""

    # ----------------------------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Bind a free port and serve from a daemon thread; returns once the server accepts connections."""
        if self._thread is not None:
            raise RuntimeError(f"the {self.server_name} is already running")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._sock = sock
        self._port = int(sock.getsockname()[1])
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=self._run_loop, args=(loop,), name=f"{self.thread_name}-{self._port}")
        self._thread.daemon = True
        self._thread.start()
        try:
            self._call_in_loop(self._serve(sock), timeout=10.0)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Run ``on_shutdown`` and close the server, then stop and close its loop and join the thread (idempotent)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            if self._runner is not None and thread.is_alive():
                self._call_in_loop(self._shutdown(self._runner), timeout=15.0)
        finally:
            if thread.is_alive():
                loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=15.0)
            if self._sock is not None:
                self._sock.close()
            self._loop = self._thread = self._runner = self._sock = None

    async def astop(self) -> None:
        """``stop`` without blocking the caller's loop, so clients on that loop can still answer the close."""
        await asyncio.to_thread(self.stop)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.astop()

    @property
    def port(self) -> int:
        if self._port is None or self._thread is None:
            raise RuntimeError(f"the {self.server_name} is not running; call start() first")
        return self._port

    # ----------------------------------------------------------------------------------- the server thread

    def _run_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            asyncio.set_event_loop(None)
            loop.close()

    def _call_in_loop(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run a coroutine on the server loop from any other thread and wait for its result."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            coro.close()
            raise RuntimeError(f"the {self.server_name} is not running; call start() first")
        if threading.get_ident() == thread.ident:
            coro.close()
            raise RuntimeError("this call blocks; make it from outside the stand-in's own thread")
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)

    async def _serve(self, sock: socket.socket) -> None:
        await self.on_startup()
        app = web.Application(client_max_size=self.client_max_size)
        self.routes(app)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        self._runner = runner

    async def _shutdown(self, runner: web.AppRunner) -> None:
        try:
            await self.on_shutdown()
        finally:
            await runner.cleanup()
