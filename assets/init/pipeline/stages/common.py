"""Shared by the pipeline's stages: the runner protocol's environment, CSV prices, Sharpe. Standard library only."""
import csv
import json
import math
import os


def params():
    return json.loads(os.environ.get("RIGOR_PARAMS") or "{}")


def out(name):
    return os.path.join(os.environ["RIGOR_OUT"], name)


def write_verdict(metrics, notes="", **extra):
    with open(out("verdict.json"), "w") as f:
        json.dump({"metrics": metrics, "notes": notes, **extra}, f)


def read_prices(path):
    """(dates, closes) from a CSV with a date and a close (or adj close) column."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise SystemExit(f"{path}: no rows")
    keys = {k.lower().replace("_", " ").strip(): k for k in rows[0]}
    close = keys.get("adj close") or keys.get("close")
    if close is None or "date" not in keys:
        raise SystemExit(f"{path}: needs date and close columns")
    return [r[keys["date"]] for r in rows], [float(r[close]) for r in rows]


def daily_returns(closes):
    return [closes[i] / closes[i - 1] - 1.0 for i in range(1, len(closes))]


def sharpe(returns, periods=252):
    if len(returns) < 2:
        return 0.0
    mean = sum(returns) / len(returns)
    var = sum((r - mean) ** 2 for r in returns) / (len(returns) - 1)
    return 0.0 if var <= 0 else mean / math.sqrt(var) * math.sqrt(periods)


def momentum_positions(closes, lookback):
    """+1 when the close is above its close `lookback` days earlier, else -1; 0 before there is a lookback."""
    return [0.0 if i < lookback else (1.0 if closes[i] > closes[i - lookback] else -1.0) for i in range(len(closes))]


def strategy_returns(closes, positions, cost_bps):
    """Close to close: the position held at the close of day t-1 earns day t's return, minus costs on each change."""
    rets = []
    for t in range(1, len(closes)):
        change = abs(positions[t - 1] - (positions[t - 2] if t >= 2 else 0.0))
        rets.append(positions[t - 1] * (closes[t] / closes[t - 1] - 1.0) - change * cost_bps / 10000.0)
    return rets
