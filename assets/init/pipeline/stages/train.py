"""Stage 1, train: fit a momentum lookback on the first part of the data; write model.json.

Reads RIGOR_DATA (prices) and RIGOR_PARAMS {lookbacks, train_fraction}. The model is the
lookback with the best in-sample Sharpe; only rows before train_until were looked at.
"""
import json
from common import momentum_positions, out, params, read_prices, sharpe, strategy_returns, write_verdict
import os

p = params()
dates, closes = read_prices(os.environ["RIGOR_DATA"])
cut = int(len(closes) * float(p.get("train_fraction", 0.6)))
train = closes[:cut]
best = None
for lookback in p.get("lookbacks", [10, 20, 40, 60, 120]):
    s = sharpe(strategy_returns(train, momentum_positions(train, int(lookback)), 0.0))
    if best is None or s > best[1]:
        best = (int(lookback), s)
model = {"kind": "momentum", "lookback": best[0], "train_sharpe": round(best[1], 6), "train_until": dates[cut - 1]}
with open(out("model.json"), "w") as f:
    json.dump(model, f, indent=2)
write_verdict(
    {"train_sharpe": round(best[1], 6), "train_rows": cut, "lookback": best[0]},
    notes=f"fitted lookback {best[0]} on {cut} rows up to {dates[cut - 1]}",
    artifacts=["model.json"],
)
