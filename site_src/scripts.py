"""OpenCC converters between the Chinese scripts, one per configuration and process.

Making a converter reads its dictionaries (some 40 ms for ``t2s``).  Alignment,
mention finding, search and the pages all convert; with a converter of its own in
each module, a build made the same one four times.
"""
from __future__ import annotations

import functools

import opencc


@functools.lru_cache(maxsize=None)
def converter(config: str) -> opencc.OpenCC:
    """The converter of an OpenCC configuration (``t2s``, ``s2t`` …)."""
    return opencc.OpenCC(config)
