"""Stage 2, backtest: trade the trained model out of sample.

Reads the model through RIGOR_INPUT_MODEL (staged by rigor from the train node's
verdict commit, never from the working tree), the prices from RIGOR_DATA and
RIGOR_PARAMS {cost_bps}. Writes returns.csv and positions.csv for the auditor.
"""
import json
import os
from common import momentum_positions, out, params, read_prices, sharpe, strategy_returns, write_verdict

p = params()
with open(os.environ["RIGOR_INPUT_MODEL"]) as f:
    model = json.load(f)
dates, closes = read_prices(os.environ["RIGOR_DATA"])
cost = float(p.get("cost_bps", 5)) * float(os.environ.get("RIGOR_COST_MULTIPLIER", "1"))
positions = momentum_positions(closes, int(model["lookback"]))
returns = strategy_returns(closes, positions, cost)
# out of sample: only the days after the model's training window (none when the data ends
# inside it, as in the auditor's truncated copies: then nothing is traded)
start = next((i for i, d in enumerate(dates) if d > model["train_until"]), len(closes))
with open(out("returns.csv"), "w") as f:
    f.write("date,return\n")
    for t in range(start, len(closes)):
        f.write(f"{dates[t]},{returns[t - 1]:.10f}\n")
with open(out("positions.csv"), "w") as f:
    f.write("date,position\n")
    # from two rows before the first return: its cost is the change between them
    for t in range(max(0, start - 2), len(closes)):
        f.write(f"{dates[t]},{positions[t]:.1f}\n")
oos = returns[start - 1:]
trades = sum(1 for t in range(start, len(positions)) if positions[t] != positions[t - 1])
write_verdict(
    {"sharpe": round(sharpe(oos), 6), "trades": trades, "days": len(oos), "lookback": model["lookback"], "cost_bps": cost},
    notes=f"lookback {model['lookback']} from the model, out of sample from {dates[start] if start < len(dates) else 'nothing: the data ends in the training window'}",
    accounting={"convention": "close_to_close", "cost_bps": cost},
    artifacts=["returns.csv", "positions.csv"],
)
