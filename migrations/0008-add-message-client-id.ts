import { DataTypes } from 'sequelize';
import type { Migration } from '../src/db/migrate.js';

const INDEX = 'messages_visitor_client_message_id';

/**
 * `client_message_id`: the id a widget chose for a message, so a resend is answered with the
 * original (SPEC §3 "Resending is safe"). Unique per visitor, hence `visitor_id` beside it. Both
 * stay NULL for agent messages, older rows and clients that send no id; NULLs never collide.
 *
 * MySQL compares VARCHARs case-insensitively and ignoring trailing spaces, which would answer
 * "a" with the ack of "A "; VARBINARY compares bytes (64 UTF-16 units are at most 192 UTF-8 bytes).
 * SQLite's TEXT already compares bytes, and a binary type name there would get NUMERIC affinity
 * ("0123" stored as 123).
 */
export const addMessageClientId: Migration = {
  name: '0008-add-message-client-id',
  async up({ context: { queryInterface: qi, sequelize } }) {
    const idType = sequelize.getDialect() === 'sqlite' ? DataTypes.STRING(64) : 'VARBINARY(192)';
    await qi.addColumn('messages', 'visitor_id', { type: DataTypes.INTEGER, allowNull: true });
    await qi.addColumn('messages', 'client_message_id', { type: idType, allowNull: true });
    await qi.addIndex('messages', ['visitor_id', 'client_message_id'], { name: INDEX, unique: true });
  },
  async down({ context: { queryInterface: qi, sequelize } }) {
    await qi.removeIndex('messages', INDEX);
    for (const column of ['client_message_id', 'visitor_id']) {
      // Sequelize drops a SQLite column by copying the table, losing its indexes and foreign keys;
      // SQLite's own DROP COLUMN (3.35+) keeps them.
      if (sequelize.getDialect() === 'sqlite') await sequelize.query(`ALTER TABLE messages DROP COLUMN ${column}`);
      else await qi.removeColumn('messages', column);
    }
  },
};
