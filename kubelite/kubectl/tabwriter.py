"""Elastic tabstops as Go's ``text/tabwriter`` lays them out, with kubectl's
``RememberWidths`` extension (github.com/liggitt/tabwriter).

Text is cells separated by ``\\t`` in lines ended by ``\\n``. The last cell of a line is not
part of a column. A column *block* is a run of consecutive lines that all have a cell in that
column; its width is ``max(minwidth, widest cell + padding)``, and blocks are found again
for each further column inside the previous one's block (so a line with fewer cells ends
the blocks of the columns it lacks). With ``remember_widths``, column widths never shrink
from one :meth:`flush` to the next, which keeps ``kubectl get -w`` rows aligned.

kubectl's table printer uses ``TabWriter(minwidth=6, padding=3, remember_widths=True)``;
``kubectl describe`` uses ``TabWriter(minwidth=0, padding=2)``. Pure: writes to a callback.
"""

from __future__ import annotations

from collections.abc import Callable


class TabWriter:
    def __init__(self, write: Callable[[str], object], minwidth: int = 6, padding: int = 3,
                 remember_widths: bool = False):
        self._write = write
        self.minwidth = minwidth
        self.padding = padding
        self.remember_widths = remember_widths
        self._pending = ""
        self._widths: list[int] = []
        self.max_widths: list[int] = []

    def write(self, text: str) -> None:
        self._pending += text

    def flush(self) -> None:
        text, self._pending = self._pending, ""
        if not text:
            return
        tail = ""
        if not text.endswith("\n"):
            text, _, tail = text.rpartition("\n")
            text = text + "\n" if text else ""
        lines = [line.split("\t") for line in text.split("\n")[:-1]]
        out: list[str] = []
        self._widths = []
        self._format(lines, 0, len(lines), out)
        if tail:
            out.append(tail)
        self._write("".join(out))

    def reset_widths(self) -> None:
        """Forget remembered widths (kubectl does this between tables of different kinds)."""
        self.max_widths = []

    def _format(self, lines: list[list[str]], line0: int, line1: int, out: list[str]) -> None:
        column = len(self._widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            self._write_lines(lines, line0, this, out)
            line0 = this
            width = self.minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + self.padding)
                this += 1
            if self.remember_widths:
                if len(self.max_widths) < len(self._widths):
                    self.max_widths += self._widths[len(self.max_widths):]
                if len(self.max_widths) == len(self._widths):
                    self.max_widths.append(width)
                elif self.max_widths[column] > width:
                    width = self.max_widths[column]
                else:
                    self.max_widths[column] = width
            self._widths.append(width)
            self._format(lines, line0, this, out)
            self._widths.pop()
            line0 = this
        self._write_lines(lines, line0, line1, out)

    def _write_lines(self, lines: list[list[str]], line0: int, line1: int,
                     out: list[str]) -> None:
        for cells in lines[line0:line1]:
            for j, cell in enumerate(cells):
                out.append(cell)
                if j < len(self._widths) and j < len(cells) - 1:
                    out.append(" " * (self._widths[j] - len(cell)))
            out.append("\n")
