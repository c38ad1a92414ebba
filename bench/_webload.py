"""The web load of ``python -m bench web``, in a process of its own (clients are not the bot):
``python -m bench._webload HOST PORT SECONDS RATE PATHS_JSON`` prints one JSON line of figures.

Requests leave on a fixed schedule (open loop: a slow answer does not slow the sender), over
keep-alive connections of 50 clients with addresses of their own on the loopback (127.0.0.2–51),
each under the pages' rate per client; 15 % come from one hostile client (127.0.0.200) that
floods, posts and sends huge addresses, and should get only 4xx. Plain asyncio streams and
prepared bytes keep this process light: it shares the machine with the bot it measures.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter

CLIENTS = 50
HOSTILE_SHARE = 0.15


class Connection:
    """One keep-alive HTTP/1.1 connection from a given local address; one request at a time."""

    def __init__(self, host: str, port: int, local: str) -> None:
        self.host, self.port, self.local = host, port, local
        self.lock = asyncio.Lock()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> int:
        async with self.lock:
            if self.writer is None or self.writer.is_closing():
                self.reader, self.writer = await asyncio.open_connection(
                    self.host, self.port, local_addr=(self.local, 0)
                )
            assert self.reader is not None
            self.writer.write(raw)
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            close = False
            for line in head.split(b"\r\n")[1:]:
                name, _sep, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
                elif name.lower() == b"connection" and b"close" in value.lower():
                    close = True
            if length:
                await self.reader.readexactly(length)
            if close:
                self.writer.close()
                self.writer = None
            return status


def _get(host: str, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: identity\r\n\r\n".encode()


async def main(host: str, port: int, seconds: float, rate: float, paths: list[str]) -> dict[str, object]:
    clients = [Connection(host, port, f"127.0.0.{2 + i}") for i in range(CLIENTS)]
    hostile = [Connection(host, port, "127.0.0.200") for _ in range(8)]
    pages = [_get(host, p) for p in paths]
    bad = [
        b"POST /kk/ HTTP/1.1\r\nHost: x\r\nContent-Length: 512\r\n\r\n" + b"x" * 512,
        _get(host, "/kk/" + "a" * 3000),
        pages[0],
    ]
    statuses: Counter[str] = Counter()
    page_times: list[float] = []
    tasks: set[asyncio.Task[None]] = set()

    async def one(i: int) -> None:
        hostile_one = (i % 100) < HOSTILE_SHARE * 100
        started = time.perf_counter()
        try:
            if hostile_one:
                status = await hostile[i % len(hostile)].request(bad[i % len(bad)])
            else:
                status = await clients[i % CLIENTS].request(pages[i % len(pages)])
                page_times.append(time.perf_counter() - started)
            statuses[("hostile " if hostile_one else "page ") + str(status)] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            statuses[f"error {type(error).__name__}"] += 1

    t0 = time.perf_counter()
    total = int(seconds * rate)
    for i in range(total):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(i))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    sent_in = time.perf_counter() - t0
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=60)
    for connection in (*clients, *hostile):
        if connection.writer is not None:
            connection.writer.close()
    ordered = sorted(page_times)

    def ms(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2) if ordered else 0.0

    return {
        "requests": total,
        "requests_per_second": round(total / sent_in, 1),
        "statuses": dict(sorted(statuses.items())),
        "page_p50_ms": ms(0.5),
        "page_p99_ms": ms(0.99),
    }


if __name__ == "__main__":
    host, port, seconds, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    print(json.dumps(asyncio.run(main(host, port, seconds, rate, json.loads(sys.argv[5])))))
