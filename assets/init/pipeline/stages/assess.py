"""Stage 3, assess: is the out-of-sample Sharpe more than luck?

Reads the backtest's returns through RIGOR_INPUT_RETURNS and writes the
probabilistic Sharpe ratio (Bailey and Lopez de Prado, 2012) against a zero
benchmark, with the skewness and kurtosis of the returns.
"""
import math
import os
from common import write_verdict

rets = []
with open(os.environ["RIGOR_INPUT_RETURNS"]) as f:
    next(f)
    for line in f:
        rets.append(float(line.split(",")[1]))
n = len(rets)
mean = sum(rets) / n
sd = math.sqrt(sum((r - mean) ** 2 for r in rets) / (n - 1))
sr = 0.0 if sd == 0 else mean / sd
skew = 0.0 if sd == 0 else sum((r - mean) ** 3 for r in rets) / n / sd**3
kurt = 3.0 if sd == 0 else sum((r - mean) ** 4 for r in rets) / n / sd**4
denominator = math.sqrt(max(1e-12, 1 - skew * sr + (kurt - 1) / 4 * sr**2))
psr = 0.5 * (1 + math.erf(sr * math.sqrt(n - 1) / denominator / math.sqrt(2)))
write_verdict(
    {"psr": round(psr, 6), "sharpe": round(sr * math.sqrt(252), 6), "skew": round(skew, 6), "kurtosis": round(kurt, 6), "days": n},
    notes=f"PSR {psr:.3f} over {n} out-of-sample days",
)
