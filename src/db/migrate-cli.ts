import { ConfigError, loadConfig } from '../config.js';
import { connectDatabase } from './connect.js';
import { migrator } from './migrate.js';
import { coreMigrations, webhookMigrations } from '../../migrations/index.js';

/** `npm run migrate [-- down]`: applies every pending migration, or reverts the last one. */
try {
  const config = loadConfig();
  const sequelize = await connectDatabase(config.DATABASE_URL);
  const umzug = migrator(sequelize, [...coreMigrations, ...webhookMigrations]);
  const done = process.argv[2] === 'down' ? await umzug.down() : await umzug.up();
  console.log(done.length ? done.map((m) => `${process.argv[2] === 'down' ? 'reverted' : 'applied'} ${m.name}`).join('\n') : 'nothing to do');
  await sequelize.close();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `migrate failed: ${(err as Error).message}`);
  process.exit(1);
}
