import { Umzug, SequelizeStorage, type RunnableMigration } from 'umzug';
import { QueryTypes, type QueryInterface, type Sequelize } from 'sequelize';

export type MigrationContext = { queryInterface: QueryInterface; sequelize: Sequelize };
export type Migration = RunnableMigration<MigrationContext>;

/** How long an instance waits for another one's migrations before giving up. */
const LOCK_WAIT_SECONDS = 120;

/** One umzug over the given migrations, recorded in the `SequelizeMeta` table. */
export function migrator(sequelize: Sequelize, migrations: readonly Migration[]) {
  return new Umzug<MigrationContext>({
    migrations: [...migrations],
    context: { queryInterface: sequelize.getQueryInterface(), sequelize },
    storage: new SequelizeStorage({ sequelize }),
    logger: undefined,
  });
}

/**
 * Applies every pending migration; returns the names applied. Instances started together on one
 * MySQL database take turns through a named lock, so one applies and the others find it done.
 */
export async function migrateUp(sequelize: Sequelize, migrations: readonly Migration[]): Promise<string[]> {
  const run = async () => (await migrator(sequelize, migrations).up()).map((m) => m.name);
  return sequelize.getDialect() === 'sqlite' ? run() : withMysqlLock(sequelize, 'livechat_migrations', run);
}

/**
 * Holds a MySQL named lock (GET_LOCK) on one pinned connection while `work` runs on others.
 * The lock is the connection's, so it goes if the process dies.
 */
async function withMysqlLock<T>(sequelize: Sequelize, name: string, work: () => Promise<T>): Promise<T> {
  return sequelize.transaction(async (transaction) => {
    const [row] = await sequelize.query<{ got: number | string | null }>('SELECT GET_LOCK(?, ?) AS got', {
      replacements: [name, LOCK_WAIT_SECONDS],
      type: QueryTypes.SELECT,
      transaction,
    });
    if (Number(row?.got) !== 1) throw new Error(`migrations: another instance held the "${name}" lock for ${LOCK_WAIT_SECONDS} s`);
    try {
      return await work();
    } finally {
      await sequelize.query('SELECT RELEASE_LOCK(?)', { replacements: [name], transaction });
    }
  });
}
