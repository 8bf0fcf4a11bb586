"""The Q4_0 dequantisation, on a block built by hand."""

from __future__ import annotations

import numpy as np

from pipeline.scoring.convert import dequantize_q4


def test_q4_block_low_nibbles_then_high_nibbles_times_scale() -> None:
    scale = np.float16(0.5).tobytes()
    # byte j holds weight j in the low nibble and weight j + 16 in the high nibble; value = (q - 8) * d
    qs = bytes((j % 16) | ((15 - j % 16) << 4) for j in range(16))
    raw = np.frombuffer(scale + qs, dtype=np.uint8)
    row = dequantize_q4(raw, 1, 32)[0]
    assert row[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert row[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]
