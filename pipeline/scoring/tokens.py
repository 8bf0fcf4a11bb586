"""How a long review is cut to the encoder's budget, shared by scoring and fine-tuning."""

from __future__ import annotations

HEAD_SHARE = 0.75


def head_tail(ids: list[int], budget: int, head_share: float = HEAD_SHARE) -> list[int]:
    """Keep the first ``head_share`` of ``budget`` tokens and the last rest: reviews tend to open with
    the verdict and close with the conclusion or the complaint."""
    if len(ids) <= budget:
        return ids
    head = int(budget * head_share)
    return ids[:head] + ids[len(ids) - (budget - head) :]
