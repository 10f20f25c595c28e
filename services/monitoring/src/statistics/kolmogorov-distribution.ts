// The finite-n Kolmogorov distribution P(D_n > x) of the two-sided one-sample statistic, computed
// as Simard & L'Ecuyer (2011) choose methods by (n, n·x²) — the scheme scipy.stats.kstwo follows,
// so ks_2samp's asymptotic p-value (kstwo.sf(d, round(nₑ))) is reproduced. Methods: Ruben–Gambino
// closed forms at the ends, 2 × the exact one-sided Smirnov tail (Birnbaum–Tingey) in the upper
// tail, the Durbin matrix (Marsaglia–Tsang–Wang) and Pomeranz recursions below it, and the
// Pelz–Good series for large n.

const scaleExponent = 128;
const big = 2 ** scaleExponent;
const small = 2 ** -scaleExponent;
const sqrt2Pi = Math.sqrt(2 * Math.PI);
const piSquared = Math.PI ** 2;

const clamp01 = (p: number) => Math.min(1, Math.max(0, p));

/** ln(n! / nⁿ) by Stirling's series with n·ln n removed up front (no cancellation). */
function logFactorialOverPower(n: number): number {
  // B₂ⱼ / (2j(2j − 1)) for j = 8 … 1.
  const coefficients = [
    -3617 / 122400,
    1 / 156,
    -691 / 360360,
    1 / 1188,
    -1 / 1680,
    1 / 1260,
    -1 / 360,
    1 / 12,
  ];
  const r = 1 / n;
  let series = 0;
  for (const c of coefficients) series = series * (r / n) + c;
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + r * series;
}

/**
 * P(D⁺_n > e), the exact one-sided Smirnov tail, by the Birnbaum–Tingey sum
 * e · Σ_{v=0}^{⌊n(1−e)⌋} C(n, v) (e + v/n)^{v−1} (1 − e − v/n)^{n−v}, every term positive, in logs.
 */
export function smirnovSurvival(n: number, e: number): number {
  if (e <= 0) return 1;
  if (e >= 1) return 0;
  const last = Math.floor(n * (1 - e));
  let logBinomial = 0;
  let total = 0;
  for (let v = 0; v <= last; v++) {
    const evn = e + v / n;
    const rest = 1 - evn;
    if (rest > 0 || v === n) {
      const logTerm = logBinomial + (v - 1) * Math.log(evn) + (n - v > 0 ? (n - v) * Math.log(rest) : 0);
      total += Math.exp(logTerm);
    }
    logBinomial += Math.log(n - v) - Math.log(v + 1);
  }
  return clamp01(total * e);
}

type Matrix = Float64Array[];

function multiply(a: Matrix, b: Matrix): Matrix {
  const m = a.length;
  const out: Matrix = Array.from({ length: m }, () => new Float64Array(m));
  for (let i = 0; i < m; i++) {
    const row = a[i]!;
    const target = out[i]!;
    for (let k = 0; k < m; k++) {
      const factor = row[k]!;
      if (factor === 0) continue;
      const other = b[k]!;
      for (let j = 0; j < m; j++) target[j]! += factor * other[j]!;
    }
  }
  return out;
}

/** P(D_n ≤ d) by the Durbin matrix (Marsaglia, Tsang & Wang 2003): the k-th diagonal entry of Hⁿ · n!/nⁿ. */
function durbinCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  let matrix: Matrix = Array.from({ length: m }, () => new Float64Array(m));
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let factorial = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = factorial;
    factorial /= j;
    v[j - 1] = (1 - h ** j) * factorial;
  }
  v[m - 1] = (1 + Math.max(2 * h - 1, 0) ** m - 2 * h ** m) * factorial;
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) matrix[r]![i] = w[r - i + 1]!;
  for (let r = 0; r < m; r++) matrix[r]![0] = v[r]!;
  for (let c = 0; c < m; c++) matrix[m - 1]![c] = v[m - 1 - c]!;
  let power: Matrix = Array.from({ length: m }, (_, i) => {
    const row = new Float64Array(m);
    row[i] = 1;
    return row;
  });
  let exponent = 0;
  let matrixExponent = 0;
  for (let remaining = n; remaining > 0; remaining = Math.floor(remaining / 2)) {
    if (remaining % 2 === 1) {
      power = multiply(power, matrix);
      exponent += matrixExponent;
    }
    matrix = multiply(matrix, matrix);
    matrixExponent *= 2;
    if (Math.abs(matrix[k - 1]![k - 1]!) > big) {
      for (const row of matrix) for (let j = 0; j < m; j++) row[j]! /= big;
      matrixExponent += scaleExponent;
    }
  }
  let p = power[k - 1]![k - 1]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < small) {
      p *= big;
      exponent -= scaleExponent;
    }
  }
  return clamp01(p * 2 ** exponent);
}

function pomeranzBounds(i: number, n: number, ll: number, ceilF: number, roundF: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilF - 1;
    j2 = ll + ceilF - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilF - 1;
        j2 = n + ll + ceilF - 1;
      } else {
        j1 = half - 1 - ll - roundF - 1;
        j2 = half + ll - 1 + ceilF - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundF - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** P(D_n ≤ x) by Pomeranz's (1974) recursion of Poisson convolutions. */
function pomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilF = f > 0 ? 1 : 0;
  const roundF = f > 0.5 ? 1 : 0;
  const powers = 2 * (ll + 1);
  const gPower = new Float64Array(powers);
  const twoGPower = new Float64Array(powers);
  const oneMinusTwoGPower = new Float64Array(powers);
  gPower[0] = twoGPower[0] = oneMinusTwoGPower[0] = 1;
  for (let m = 1; m < powers; m++) {
    gPower[m] = (gPower[m - 1]! * (g / n)) / m;
    twoGPower[m] = (twoGPower[m - 1]! * ((2 * g) / n)) / m;
    oneMinusTwoGPower[m] = (oneMinusTwoGPower[m - 1]! * ((1 - 2 * g) / n)) / m;
  }
  let v0 = new Float64Array(powers);
  let v1 = new Float64Array(powers);
  v1[0] = 1;
  let v0Start = 0;
  let v1Start = 0;
  let exponent = 0;
  let [j1] = pomeranzBounds(0, n, ll, ceilF, roundF);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [v0, v1] = [v1, v0];
    [v0Start, v1Start] = [v1Start, v0Start];
    v1.fill(0);
    const bounds = pomeranzBounds(i, n, ll, ceilF, roundF);
    j1 = bounds[0];
    const j2 = bounds[1];
    const weights = i === 1 || i === 2 * n + 1 ? gPower : i % 2 === 1 ? twoGPower : oneMinusTwoGPower;
    const length = j2 - k1 + 1;
    if (length > 0) {
      // conv[c] = Σ_a V0[k1 − v0Start + a] · weights[c − a], of which entries j1 − k1 … j2 − k1 are kept.
      const offset = k1 - v0Start;
      let largest = 0;
      for (let c = j1 - k1; c <= j2 - k1; c++) {
        let total = 0;
        for (let a = Math.max(0, c - length + 1); a <= Math.min(c, length - 1); a++) {
          total += (v0[offset + a] ?? 0) * weights[c - a]!;
        }
        v1[c - (j1 - k1)] = total;
        largest = Math.max(largest, total);
      }
      if (largest > 0 && largest < small) {
        for (let c = 0; c < powers; c++) v1[c]! *= big;
        exponent -= scaleExponent;
      }
      v1Start = v0Start + j1 - k1;
    }
  }
  let answer = v1[n - v1Start]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(answer) > big) {
      answer *= small;
      exponent += scaleExponent;
    }
    answer *= m;
  }
  return clamp01(answer * 2 ** exponent);
}

/** The Pelz–Good (1976) approximation of P(D_n ≤ x) (or its complement) for large n. */
function pelzGood(n: number, x: number, cdf: boolean): number {
  if (x <= 0) return cdf ? 0 : 1;
  if (x >= 1) return cdf ? 1 : 0;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -piSquared / 8 / z2;
  if (qlog < -708) return cdf ? 0 : 1;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = piSquared / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * piSquared) / 4;
  const k2c = (Math.PI ** 4 * (1 - 2 * z2)) / 16;
  const k3d = (Math.PI ** 6 * (5 - 30 * z2)) / 64;
  const k3c = (Math.PI ** 4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (piSquared * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const k = [0, 0, 0, 0];
  const maxK = Math.ceil((16 * z) / Math.PI);
  for (let j = maxK; j > 0; j--) {
    const m = 2 * j - 1;
    const m2 = m * m;
    const qPower = q ** (8 * j);
    const coefficients = [
      1,
      k1a + k1b * m2,
      k2a + k2b * m2 + k2c * m2 * m2,
      k3a + k3b * m2 + k3c * m2 * m2 + k3d * m2 * m2 * m2,
    ];
    for (let i = 0; i < 4; i++) k[i] = k[i]! * qPower + coefficients[i]!;
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) k[i] = (k[i]! * q * sqrt2Pi) / divisors[i]!;
  q = Math.exp(-piSquared / 2 / z2);
  let k2Extra = 0;
  let k3Extra = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let j = maxK; j > 0; j--) {
    const j2 = j * j;
    const qPower = q ** j2;
    k2Extra += j2 * qPower;
    k3Extra += (sqrt3z + Math.PI * j) * (sqrt3z - Math.PI * j) * j2 * qPower;
  }
  k[2]! += (k2Extra * piSquared * sqrt2Pi) / (-36 * z3);
  k[3]! += (k3Extra * piSquared * sqrt2Pi) / (216 * z6);
  for (let i = 0; i < 4; i++) k[i] = k[i]! / n ** (i / 2);
  if (!cdf) {
    for (let i = 0; i < 4; i++) k[i] = -k[i]!;
    k[0]! += 1;
  }
  return k[0]! + k[1]! + k[2]! + k[3]!;
}

/**
 * P(D_n > x) for the two-sided one-sample Kolmogorov–Smirnov statistic with sample size `n`
 * (a positive integer): scipy.stats.kstwo.sf(x, n), method by method (see the file comment).
 */
export function kolmogorovSurvivalN(n: number, x: number): number {
  if (!(Number.isInteger(n) && n > 0))
    throw new RangeError(`kolmogorovSurvivalN needs a positive integer n, got ${n}`);
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    let cdf: number;
    if (n <= 140) {
      cdf = 1;
      for (let i = 1; i <= n; i++) cdf *= (i / n) * (2 * t - 1);
    } else cdf = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    return clamp01(1 - cdf);
  }
  if (t >= n - 1) return clamp01(2 * (1 - x) ** n);
  if (x >= 0.5) return clamp01(2 * smirnovSurvival(n, x));
  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 0.754693) return clamp01(1 - durbinCdf(n, x));
    if (nx2 <= 4) return clamp01(1 - pomeranzCdf(n, x));
    return clamp01(2 * smirnovSurvival(n, x));
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return clamp01(2 * smirnovSurvival(n, x));
  let cdf: number;
  if (nx2 >= 18) cdf = 1;
  else if (n <= 100000 && n * x ** 1.5 <= 1.4) cdf = durbinCdf(n, x);
  else cdf = pelzGood(n, x, true);
  return clamp01(1 - cdf);
}
