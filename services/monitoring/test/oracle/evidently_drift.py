"""Evidently 0.7.23's drift statistics, computed independently with numpy and scipy.

Follows Evidently's source (evidently/legacy/calculations/stattests: utils.get_binned_data, psi,
jensenshannon, wasserstein_distance_norm, ks_stattest, chisquare_stattest) without importing it:
numeric PSI and Jensen-Shannon over np.histogram_bin_edges(reference + window, bins="sturges")
when the reference has more than 20 distinct values, else one bin per value either side holds;
shares = count / size; PSI after replacing empty shares (1e-4, or a millionth of the smallest
share when that is at most 1e-4), Jensen-Shannon without (scipy's jensenshannon, natural log);
KS = ks_2samp(reference, window); Wasserstein = wasserstein_distance / max(np.std(reference),
0.001); chi-square = scipy.stats.chisquare(window counts, reference counts * window size /
reference size) over the categories either side holds. Non-finite and null values are dropped,
as Evidently drops them (inf -> NaN -> dropna). Same input and output shape as scipy_drift.py.
"""

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import chisquare, ks_2samp, wasserstein_distance

from oracle_cases import present_strings, run_cases


def finite(values):
    array = np.array([v for v in values if v is not None], dtype=float)
    return array[np.isfinite(array)]


def finite_or_none(value):
    return float(value) if np.isfinite(value) else None


def fill_zeroes(shares):
    shares = shares.copy()
    smallest = shares[shares != 0].min()
    shares[shares == 0] = smallest / 10**6 if smallest <= 0.0001 else 0.0001
    return shares


def value_shares(reference, window):
    keys = sorted(set(reference) | set(window), key=str)
    ref = {k: 0 for k in keys}
    cur = {k: 0 for k in keys}
    for v in reference:
        ref[v] += 1
    for v in window:
        cur[v] += 1
    return (
        np.array([ref[k] for k in keys], dtype=float),
        np.array([cur[k] for k in keys], dtype=float),
    )


def shares(reference, window, numeric):
    if numeric and len(np.unique(reference)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([reference, window]), bins="sturges")
        return np.histogram(reference, bins)[0] / len(reference), np.histogram(window, bins)[0] / len(window)
    ref, cur = value_shares(list(reference), list(window))
    return ref / len(reference), cur / len(window)


def binned(reference, window, numeric):
    ref, cur = shares(reference, window, numeric)
    psi = float(np.sum((fill_zeroes(ref) - fill_zeroes(cur)) * np.log(fill_zeroes(ref) / fill_zeroes(cur))))
    return psi, float(jensenshannon(ref, cur))


def numeric(case):
    reference = finite(case["reference"])
    window = finite(case["window"])
    psi, js = binned(reference, window, True)
    ks = ks_2samp(reference, window)
    return {
        "ks": {"statistic": float(ks.statistic), "pValue": float(ks.pvalue)},
        "wasserstein": float(wasserstein_distance(reference, window) / max(float(np.std(reference)), 0.001)),
        "psi": psi,
        "js": js,
        "referenceCount": int(len(reference)),
        "windowCount": int(len(window)),
    }


def categorical(case):
    reference = present_strings(case["reference"])
    window = present_strings(case["window"])
    psi, js = binned(reference, window, False)
    ref, cur = value_shares(reference, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        chi = chisquare(cur, ref * len(window) / len(reference))
    return {
        # JSON has no infinity: a category the reference lacks makes the statistic +inf (null here).
        "chiSquare": {"statistic": finite_or_none(chi.statistic), "pValue": float(chi.pvalue)},
        "psi": psi,
        "js": js,
        "referenceCount": len(reference),
        "windowCount": len(window),
    }


if __name__ == "__main__":
    run_cases(numeric, categorical)
