import type { Sequelize } from 'sequelize';

/**
 * Column values in and out of raw queries, the same on MySQL/MariaDB and SQLite.
 * Sequelize's own escaping drops the milliseconds of a Date on MySQL, and SQLite compares times
 * as text, so every time is written in one fixed UTC format with milliseconds.
 */
export function sqlDate(sequelize: Sequelize, date: Date): string {
  const text = date.toISOString().replace('T', ' ').replace('Z', '');
  // The format Sequelize's models write on SQLite, so text comparisons with their rows hold.
  return sequelize.getDialect() === 'sqlite' ? `${text} +00:00` : text;
}

/** A DATETIME as read back: a Date (mysql2) or text such as `2024-05-01 10:00:00.000 +00:00` (SQLite). */
export function parseDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const text = String(value).trim();
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  const date = m ? new Date(`${m[1]}T${m[2]}${m[3] ?? 'Z'}`) : new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A BOOLEAN as read back: true/false, 1/0 or '1'/'0'. */
export function parseBool(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 'true';
}

export function parseIntOr(value: unknown, fallback: number): number {
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : fallback;
}

/** Cuts text to a column's size. */
export function clip(text: string | null, max: number): string | null {
  return text === null || text.length <= max ? text : text.slice(0, max);
}
