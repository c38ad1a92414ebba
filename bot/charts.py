"""Charts drawn by the bot: a budget's revenues by source and spending by programme, as a PNG.

Plain values in, bytes out: the labels arrive already translated, so the picture speaks the
person's language. The Agg backend draws without a screen.

matplotlib (with numpy and Pillow) is about 40 MB of memory and half a second of import, for a
picture a resident asks for now and then. So the bot draws in a short-lived worker process
(``draw``: ``python -m bot.charts`` reads the request as JSON on stdin and writes the PNG on
stdout) and never imports it itself; ``budget_chart`` draws in the calling process and imports
matplotlib on its first use. ``python -m bench size`` measures both (bench/README.md). The last
few pictures are kept, so a district's residents asking for the same chart start no process.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
import textwrap
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

if TYPE_CHECKING:
    from matplotlib.axes import Axes

OWN, TRANSFER, SPENDING = "#2e7d32", "#90a4ae", "#1565c0"
ROOT = Path(__file__).resolve().parent.parent  # where ``python -m bot.charts`` finds the package
WORKER_TIMEOUT = 60.0  # seconds a worker may take before it is killed
KEPT = 32  # pictures kept in memory (about 50 kB each)
_kept: OrderedDict[str, bytes] = OrderedDict()


class ChartFailed(Exception):
    """The worker process did not draw the chart."""


def budget_chart(
    *,
    title: str,
    revenue_title: str,
    spending_title: str,
    revenues: list[tuple[str, int, bool]],
    spending: list[tuple[str, int]],
    legend_own: str,
    legend_transfer: str,
    money: Callable[[int], str],
) -> bytes:
    """Two horizontal bar charts, one above the other; ``revenues`` as (label, tenge, is own revenue).

    ``money`` formats an amount for the axis (e.g. ``lambda v: format_money(v, lang)``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    rows = max(len(revenues), 1) + max(len(spending), 1)
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(8, 1.6 + 0.45 * rows), height_ratios=[max(len(revenues), 1), max(len(spending), 1)]
    )
    try:
        fig.suptitle(title, fontsize=13, fontweight="bold")
        _bars(
            top,
            revenue_title,
            [(label, amount) for label, amount, _own in revenues],
            [OWN if own else TRANSFER for _label, _amount, own in revenues],
            money,
        )
        _bars(bottom, spending_title, spending, [SPENDING] * len(spending), money)
        kinds = [(OWN, legend_own, True), (TRANSFER, legend_transfer, False)]
        present = [(color, label) for color, label, own in kinds if any(o == own and a > 0 for _l, a, o in revenues)]
        if present:
            # above the bars, on the line of the panel's title (which is on the left): never over a bar or
            # its amount, wherever the longest bar is
            top.legend(
                handles=[Patch(color=color, label=label) for color, label in present],
                loc="lower right",
                bbox_to_anchor=(1.0, 1.0),
                ncol=len(present),
                borderaxespad=0.2,
                fontsize=8,
                frameon=False,
            )
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        return buffer.getvalue()
    finally:
        plt.close(fig)


def _bars(ax: Axes, title: str, items: list[tuple[str, int]], colors: list[str], money: Callable[[int], str]) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.set_title(title, fontsize=11, loc="left")
    if not items:
        ax.axis("off")
        return
    labels = ["\n".join(textwrap.wrap(label, 28)) or "—" for label, _amount in items][::-1]
    values = [amount for _label, amount in items][::-1]
    ax.barh(labels, values, color=colors[::-1])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: money(int(v))))
    ax.tick_params(axis="x", labelsize=7)
    ax.tick_params(axis="y", labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    top = max(values) or 1
    for y, value in enumerate(values):
        ax.text(value + top * 0.01, y, money(value), va="center", fontsize=7)
    ax.set_xlim(0, top * 1.3)


class Chart(TypedDict):
    """A budget chart's texts (already translated) and amounts: what ``draw`` sends the worker."""

    title: str
    revenue_title: str
    spending_title: str
    revenues: list[tuple[str, int, bool]]
    spending: list[tuple[str, int]]
    legend_own: str
    legend_transfer: str


async def draw(*, lang: str, in_process: bool = False, **chart: Unpack[Chart]) -> bytes:
    """``budget_chart`` with amounts in ``lang``, drawn in a worker process (or, ``in_process``, here)."""
    request = json.dumps({**chart, "lang": lang}, ensure_ascii=False, sort_keys=True)
    kept = _kept.get(request)
    if kept is not None:
        _kept.move_to_end(request)
        return kept
    png = _draw(request) if in_process else await _in_worker(request)
    _kept[request] = png
    while len(_kept) > KEPT:
        _kept.popitem(last=False)
    return png


def _draw(request: str) -> bytes:
    """Draw a request as ``draw`` serialises it."""
    from bot.formatting import format_money

    values: dict[str, Any] = json.loads(request)
    lang = values.pop("lang")
    values["revenues"] = [(label, int(amount), bool(own)) for label, amount, own in values["revenues"]]
    values["spending"] = [(label, int(amount)) for label, amount in values["spending"]]
    return budget_chart(**values, money=lambda amount: format_money(amount, lang))


async def _in_worker(request: str) -> bytes:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.charts",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        png, error = await asyncio.wait_for(process.communicate(request.encode("utf-8")), WORKER_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise ChartFailed(f"the chart worker took more than {WORKER_TIMEOUT:g} s") from None
    if process.returncode != 0 or not png.startswith(b"\x89PNG"):
        raise ChartFailed(f"the chart worker failed ({process.returncode}): {error.decode(errors='replace')[-500:]}")
    return png


def main(argv: list[str]) -> None:
    """The worker: a request on stdin, the PNG on stdout; ``--report-peak`` adds the peak memory (kB) on stderr."""
    png = _draw(sys.stdin.buffer.read().decode("utf-8"))
    sys.stdout.buffer.write(png)
    sys.stdout.buffer.flush()
    if "--report-peak" in argv:  # VmHWM: ru_maxrss would count the parent's memory at the fork
        peak = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM"))
        print("peak_kb", peak.split()[1], file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
