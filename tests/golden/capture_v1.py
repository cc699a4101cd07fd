"""Capture version 1 outputs (ramp_months = 0) before the engine changes: migrated v1 must reproduce them."""
import json, tomllib, copy
from pathlib import Path
from simulation import run, validate_scenario
from simulation.presets import PRESET_DIR
out = {}
cases = {}
for p in sorted(PRESET_DIR.glob("*.toml")):
    d = tomllib.loads(p.read_text())
    d.pop("uncertainty", None)
    d["generate"]["ramp_months"] = 0.0
    cases[p.stem] = d
    d2 = copy.deepcopy(d); d2["budget"]["buy_share"] = 0.3; d2["horizon_months"] = 36; d2["economics"]["monthly_churn"] = 0.05
    cases[p.stem + "_variant"] = d2
for name, d in cases.items():
    r = run(validate_scenario(d))
    j = r.to_json()
    out[name] = {"scenario_v1": d, "summary": j["summary"], "monthly": j["monthly"]}
Path("tests/golden/v1_ramp0.json").write_text(json.dumps(out, separators=(",", ":")))
print(len(out))
