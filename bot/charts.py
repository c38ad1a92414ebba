"""Charts drawn by the bot: a budget's revenues by source and spending by programme, as a PNG.

Plain values in, bytes out: the labels arrive already translated, so the picture speaks the
person's language. The Agg backend draws without a screen.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

OWN, TRANSFER, SPENDING = "#2e7d32", "#90a4ae", "#1565c0"


def budget_chart(
    *,
    title: str,
    revenue_title: str,
    spending_title: str,
    revenues: list[tuple[str, int, bool]],
    spending: list[tuple[str, int]],
    legend_own: str,
    legend_transfer: str,
    money: object,
) -> bytes:
    """Two horizontal bar charts, one above the other; ``revenues`` as (label, tenge, is own revenue).

    ``money`` formats an amount for the axis (e.g. ``lambda v: format_money(v, lang)``).
    """
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
            from matplotlib.patches import Patch

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


def _bars(ax: plt.Axes, title: str, items: list[tuple[str, int]], colors: list[str], money: object) -> None:
    ax.set_title(title, fontsize=11, loc="left")
    if not items:
        ax.axis("off")
        return
    labels = ["\n".join(textwrap.wrap(label, 28)) or "—" for label, _amount in items][::-1]
    values = [amount for _label, amount in items][::-1]
    ax.barh(labels, values, color=colors[::-1])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: money(int(v))))  # type: ignore[operator]
    ax.tick_params(axis="x", labelsize=7)
    ax.tick_params(axis="y", labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    top = max(values) or 1
    for y, value in enumerate(values):
        ax.text(value + top * 0.01, y, money(value), va="center", fontsize=7)  # type: ignore[operator]
    ax.set_xlim(0, top * 1.3)
