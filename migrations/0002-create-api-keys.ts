import { DataTypes } from 'sequelize';
import type { Migration } from '../src/db/migrate.js';

export const createApiKeys: Migration = {
  name: '0002-create-api-keys',
  async up({ context: { queryInterface: qi } }) {
    await qi.createTable('api_keys', {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      name: { type: DataTypes.STRING(255), allowNull: false },
      // sha256 of the key: keys are random 32-byte values, so a fast hash is enough.
      key_hash: { type: DataTypes.CHAR(64), allowNull: false, unique: true },
      // The first characters, so an admin can tell keys apart without seeing them.
      key_prefix: { type: DataTypes.STRING(16), allowNull: false },
      last_used_at: { type: DataTypes.DATE(3), allowNull: true },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
      updated_at: { type: DataTypes.DATE(3), allowNull: false },
    });
  },
  async down({ context: { queryInterface: qi } }) {
    await qi.dropTable('api_keys');
  },
};
