"""The drift statistics of Flywheel's monitoring, computed independently with numpy and scipy.

Reads a JSON file of cases ({"cases": [{"kind": "numeric"|"categorical", "reference": [...],
"window": [...]}]}) and prints one JSON object per case with what Flywheel documents for it:
numeric — KS (scipy.stats.ks_2samp, method 'auto'), Wasserstein-1 / population stddev of the
reference (scipy.stats.wasserstein_distance; the raw distance when the stddev is 0), PSI and
Jensen-Shannon (base 2, scipy.spatial.distance.jensenshannon) over the reference's bins (one bin
per value and per gap when the reference has at most 10 distinct values, else equal-frequency
edges at numpy's linear quantiles i/10); categorical — PSI, JS and the chi-square homogeneity
test (scipy.stats.chi2_contingency, no continuity correction). Non-finite and null values are
missing and dropped, as Flywheel drops them. A case scipy cannot decide (a window with no value
left: ks_2samp returns NaN, chi2_contingency raises ValueError) prints {"undecidable": why}.
"""

import warnings

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, ks_2samp, wasserstein_distance

from oracle_cases import present_strings, run_cases

EPSILON = 1e-4
BINS = 10


def finite(values):
    array = np.array([v for v in values if v is not None], dtype=float)
    return np.sort(array[np.isfinite(array)])


def psi(expected, actual):
    e = np.maximum(expected / expected.sum(), EPSILON)
    a = np.maximum(actual / actual.sum(), EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def js(expected, actual):
    return float(jensenshannon(expected / expected.sum(), actual / actual.sum(), base=2))


def bin_counts(reference, window):
    distinct = np.unique(reference)
    if len(distinct) <= BINS:
        # Bins {v} and the gaps around them: (-inf, v1), {v1}, (v1, v2), ..., {vk}, (vk, inf).
        def counts(values):
            position = np.searchsorted(distinct, values, side="left")
            exact = (position < len(distinct)) & (distinct[np.minimum(position, len(distinct) - 1)] == values)
            index = np.where(exact, 2 * position + 1, 2 * position)
            return np.bincount(index, minlength=2 * len(distinct) + 1).astype(float)

        return counts(reference), counts(window)
    low, high = reference[0], reference[-1]
    interior = []
    for i in range(1, BINS):
        edge = np.quantile(reference, i / BINS)
        if edge > (interior[-1] if interior else low) and edge < high:
            interior.append(edge)
    interior = np.array(interior)

    def counts(values):
        return np.bincount(np.searchsorted(interior, values, side="right"), minlength=len(interior) + 1).astype(float)

    return counts(reference), counts(window)


def numeric(case):
    reference = finite(case["reference"])
    window = finite(case["window"])
    if len(window) == 0:
        # scipy has no decision on an empty sample: ks_2samp warns and returns NaN.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ks = ks_2samp(window, reference)
        return {"undecidable": f"ks_2samp on an empty window: statistic {ks.statistic}, p-value {ks.pvalue}"}
    ks = ks_2samp(window, reference)
    # Flywheel's stddev of a constant reference is exactly 0 (numpy's np.std gives 1.4e-17 for
    # 1000 × 0.1: its mean accumulates rounding), and the distance is then in the feature's unit.
    stddev = 0.0 if reference[0] == reference[-1] else float(np.std(reference))
    distance = float(wasserstein_distance(window, reference))
    expected, actual = bin_counts(reference, window)
    return {
        "ks": {"statistic": float(ks.statistic), "pValue": float(ks.pvalue)},
        "wasserstein": distance / stddev if stddev > 0 else distance,
        "psi": psi(expected, actual),
        "js": js(expected, actual),
        "referenceCount": int(len(reference)),
        "windowCount": int(len(window)),
    }


def categorical(case):
    reference = present_strings(case["reference"])
    window = present_strings(case["window"])
    categories = sorted(set(reference) | set(window))
    expected = np.array([reference.count(c) for c in categories], dtype=float)
    actual = np.array([window.count(c) for c in categories], dtype=float)
    if len(categories) < 2:
        chi = {"statistic": 0.0, "pValue": 1.0}
    else:
        result = chi2_contingency(np.array([expected, actual]), correction=False)
        chi = {"statistic": float(result.statistic), "pValue": float(result.pvalue)}
    return {
        "chiSquare": chi,
        "psi": psi(expected, actual),
        "js": js(expected, actual),
        "referenceCount": len(reference),
        "windowCount": len(window),
    }


if __name__ == "__main__":
    run_cases(numeric, categorical)
