/** IEEE 754 half-precision (FP16) bits ↔ numbers, for FP16 tensors carried as raw 16-bit words. */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The number a half-precision bit pattern holds. */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** The half-precision bits nearest `value` (round to nearest even; overflow → ±Infinity). */
export function numberToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  let e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    if (rest > midpoint || (rest === midpoint && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  if (half >> 10 >= 0x1f) e = 0x1f;
  return sign | (e === 0x1f ? 0x7c00 : half);
}

/** Whether a half-precision bit pattern is NaN or ±Infinity. */
export function halfIsNonFinite(bits: number): boolean {
  return (bits & 0x7c00) === 0x7c00;
}
