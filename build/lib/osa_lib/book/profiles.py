"""Profiles: ``paper`` (the paper's data sizes and budgets) and ``ci`` (the same code on less).

Each chapter's runner module holds its own settings per profile; this module checks
profile names and merges a chapter's settings with a notebook's overrides.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from osa_lib.book.parameter_types import as_sequence

PROFILES = ("ci", "paper")


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; use one of {PROFILES}")
    return profile


def profile_settings(profiles: Mapping[str, Mapping], profile: str, overrides: Mapping,
                     sequences: Iterable[str] = ()) -> dict:
    """The settings of ``profile`` from ``profiles``, with every non-None entry of ``overrides``.

    Unknown override names raise ValueError (a papermill typo must not silently keep a
    default); the keys in ``sequences`` become tuples and must not be empty.
    """
    settings = dict(profiles[check_profile(profile)])
    unknown = set(overrides) - set(settings)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; known: {sorted(settings)}")
    settings.update({k: v for k, v in overrides.items() if v is not None})
    for key in sequences:
        items = as_sequence(settings[key])      # "[0, 1]" as papermill's -p passes it, or one number
        if not isinstance(items, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                  for v in items):
            raise ValueError(f"{key} must be a list of numbers such as [0, 1], got {settings[key]!r}")
        if not items:
            raise ValueError(f"{key} must not be empty")
        settings[key] = tuple(items)
    return settings
