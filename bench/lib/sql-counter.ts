import type { Sequelize } from 'sequelize';

type Options = { logging?: unknown };

/**
 * Counts the SQL statements a Sequelize instance sends, by kind and table ("UPDATE
 * webhook_deliveries", "START TRANSACTION"...), through its logging hook. Round trips to the
 * database are what a delivery pipeline spends most of its time on; this shows where they go.
 */
export function countStatements(sequelize: Sequelize): { stop(): Map<string, number> } {
  const options = (sequelize as unknown as { options: Options }).options;
  const previous = options.logging;
  const counts = new Map<string, number>();
  options.logging = (line: string) => {
    const sql = line.replace(/^Executing \([^)]*\): /, '').trim();
    const kind = statementKind(sql);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  };
  return {
    stop: () => {
      options.logging = previous;
      return counts;
    },
  };
}

function statementKind(sql: string): string {
  const verb = (/^\w+/.exec(sql)?.[0] ?? '?').toUpperCase();
  if (verb === 'START' || verb === 'BEGIN') return 'START TRANSACTION';
  if (verb === 'SET') return sql.replace(/;$/, '').toUpperCase();
  const table = /\b(?:INTO|UPDATE|FROM)\s+`?(\w+)/i.exec(sql)?.[1];
  return table ? `${verb} ${table}` : verb;
}

/** "3.0 UPDATE webhook_deliveries, 2.0 START TRANSACTION, ..." per unit of work, most frequent first. */
export function perUnit(counts: Map<string, number>, units: number): { total: number; lines: string[] } {
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  const total = sorted.reduce((acc, [, n]) => acc + n, 0) / units;
  const shown = sorted.filter(([, n]) => n / units >= 0.005);
  return { total, lines: shown.map(([kind, n]) => `${(n / units).toFixed(2)} × ${kind}`) };
}
