"""How tests/golden/v1_ramp0.json was made: version 1 figures with ramp_months = 0, captured with the version 1
engine (commit b5bfb5e, `git checkout b5bfb5e -- simulation data` in a scratch clone) before the channel engine
replaced it. Version 2 must reproduce them after migrating each version 1 scenario (tests/test_migration.py).
It does not run against today's code: the presets are version 2 now."""

import copy
import json
import tomllib
from pathlib import Path

from simulation import run, validate_scenario
from simulation.presets import PRESET_DIR


def main() -> None:
    cases = {}
    for path in sorted(PRESET_DIR.glob("*.toml")):
        d = tomllib.loads(path.read_text())
        d.pop("uncertainty", None)
        d["generate"]["ramp_months"] = 0.0
        cases[path.stem] = d
        variant = copy.deepcopy(d)
        variant["budget"]["buy_share"] = 0.3
        variant["horizon_months"] = 36
        variant["economics"]["monthly_churn"] = 0.05
        cases[path.stem + "_variant"] = variant
    out = {}
    for name, d in cases.items():
        j = run(validate_scenario(d)).to_json()
        out[name] = {"scenario_v1": d, "summary": j["summary"], "monthly": j["monthly"]}
    Path("tests/golden/v1_ramp0.json").write_text(json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()
