/** Number formatting shared by the table and the report. */
export function ms(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '∞';
  if (!Number.isFinite(value)) return 'n/a';
  return value < 10 ? `${value.toFixed(2)} ms` : value < 100 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}

export function perSecond(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return `${Math.round(value).toLocaleString('en-US')}/s`;
}

export function ratio(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '∞';
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

/** Decimal kilobytes, as targets are usually stated ("15 KB"). */
export function kilobytes(value: number): string {
  return Number.isFinite(value) ? `${(value / 1000).toFixed(1)} KB` : 'n/a';
}

export function percent(value: number): string {
  return Number.isFinite(value) ? `${Math.round(value * 100)} %` : 'n/a';
}

export function bytes(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(1)} MiB`;
  if (Math.abs(value) >= 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${Math.round(value)} B`;
}

export function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
