"""Read a count table out of a README (the labelled sets' READMEs carry tables their tests check)."""

from __future__ import annotations


def count_table(text: str, header: str) -> dict[str, list[int]]:
    """The rows under ``header`` (up to the first blank line) as first cell -> the other cells as ints."""
    assert header in text, f"table header {header!r} not found"
    table = text[text.index(header) :].split("\n\n")[0].splitlines()[2:]
    found = {}
    for line in table:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        found[cells[0]] = [int(cell) for cell in cells[1:]]
    return found
