import { DataTypes } from 'sequelize';
import type { Migration } from '../src/db/migrate.js';

/**
 * Agent accounts (SPEC §9): people sign in with email and password and act as themselves. Existing
 * installs keep working: API keys still sign in, as admin, so nobody is locked out by the upgrade.
 */
export const createAgents: Migration = {
  name: '0010-create-agents',
  async up({ context: { queryInterface: qi } }) {
    await qi.createTable('agents', {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      name: { type: DataTypes.STRING(100), allowNull: false },
      // Lowercased by the store, so one address is one account however it is typed.
      email: { type: DataTypes.STRING(255), allowNull: false, unique: true },
      // scrypt$N$r$p$salt$hash (src/auth/passwords.ts).
      password_hash: { type: DataTypes.STRING(255), allowNull: false },
      role: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'agent' },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
      updated_at: { type: DataTypes.DATE(3), allowNull: false },
    });
  },
  async down({ context: { queryInterface: qi } }) {
    await qi.dropTable('agents');
  },
};
