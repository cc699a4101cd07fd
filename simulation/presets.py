"""Presets shipped in data/presets/: business archetypes as scenario TOML files."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .schema import Scenario, ScenarioError, did_you_mean, load_scenario

PRESET_DIR = Path(__file__).resolve().parent.parent / "data" / "presets"
DEFAULT_PRESET = "default"


def preset_names() -> list[str]:
    """Preset ids (file stems), the default first."""
    return list(_preset_names())


@lru_cache(maxsize=1)
def _preset_names() -> tuple[str, ...]:
    """The presets folder is read once per process: it ships with the code."""
    names = sorted(p.stem for p in PRESET_DIR.glob("*.toml"))
    if DEFAULT_PRESET in names:
        names.remove(DEFAULT_PRESET)
        names.insert(0, DEFAULT_PRESET)
    return tuple(names)


def load_preset(name: str) -> Scenario:
    """The validated scenario of a preset id."""
    if name not in preset_names():
        raise ScenarioError([f"preset: unknown preset {name!r}{did_you_mean(name, preset_names())}"])
    return load_scenario(PRESET_DIR / f"{name}.toml")
