import { Umzug, SequelizeStorage, type RunnableMigration } from 'umzug';
import type { QueryInterface, Sequelize } from 'sequelize';

export type MigrationContext = { queryInterface: QueryInterface; sequelize: Sequelize };
export type Migration = RunnableMigration<MigrationContext>;

/** One umzug over the given migrations, recorded in the `SequelizeMeta` table. */
export function migrator(sequelize: Sequelize, migrations: readonly Migration[]) {
  return new Umzug<MigrationContext>({
    migrations: [...migrations],
    context: { queryInterface: sequelize.getQueryInterface(), sequelize },
    storage: new SequelizeStorage({ sequelize }),
    logger: undefined,
  });
}

/** Applies every pending migration; returns the names applied. */
export async function migrateUp(sequelize: Sequelize, migrations: readonly Migration[]): Promise<string[]> {
  const applied = await migrator(sequelize, migrations).up();
  return applied.map((m) => m.name);
}
