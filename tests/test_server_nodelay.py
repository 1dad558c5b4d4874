"""The server's listening socket: connections it accepts have Nagle off (TCP_NODELAY), or a
keep-alive client waits for a delayed ACK (~40 ms on Linux) on every response whose headers
and body go out in two writes, as uvicorn's do (single-client latency, issue 23)."""

from __future__ import annotations

import asyncio
import socket

from dilmanc.cli.serve import _bind


def test_accepted_connections_have_nagle_off():
    sock = _bind("127.0.0.1", 0)
    sock.listen()

    async def serve_once() -> list[int]:
        seen: list[int] = []

        async def handle(reader, writer) -> None:  # as uvicorn gets it: asyncio's transport
            accepted = writer.get_extra_info("socket")
            seen.append(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=sock)
        reader, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        await reader.read()  # until the server closes the connection
        writer.close()
        server.close()
        await server.wait_closed()
        return seen

    seen = asyncio.run(serve_once())
    assert len(seen) == 1 and seen[0] != 0
