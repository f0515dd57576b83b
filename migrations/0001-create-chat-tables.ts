import { DataTypes } from 'sequelize';
import type { Migration } from '../src/db/migrate.js';

const timestamps = {
  created_at: { type: DataTypes.DATE(3), allowNull: false },
  updated_at: { type: DataTypes.DATE(3), allowNull: false },
};

export const createChatTables: Migration = {
  name: '0001-create-chat-tables',
  async up({ context: { queryInterface: qi } }) {
    await qi.createTable('visitors', {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      // sha256 of the visitor's random token; the token itself is never stored.
      token_hash: { type: DataTypes.CHAR(64), allowNull: false, unique: true },
      name: { type: DataTypes.STRING(255), allowNull: true },
      email: { type: DataTypes.STRING(255), allowNull: true },
      phone: { type: DataTypes.STRING(64), allowNull: true },
      ip: { type: DataTypes.STRING(64), allowNull: true },
      ...timestamps,
    });
    await qi.createTable('conversations', {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      visitor_id: {
        type: DataTypes.INTEGER,
        allowNull: false,
        references: { model: 'visitors', key: 'id' },
        onDelete: 'CASCADE',
      },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'open' },
      visitor_name: { type: DataTypes.STRING(255), allowNull: true },
      visitor_email: { type: DataTypes.STRING(255), allowNull: true },
      visitor_phone: { type: DataTypes.STRING(64), allowNull: true },
      visitor_ip: { type: DataTypes.STRING(64), allowNull: true },
      current_url: { type: DataTypes.STRING(2048), allowNull: true },
      closed_at: { type: DataTypes.DATE(3), allowNull: true },
      ...timestamps,
    });
    // A visitor's open conversation is looked up on every connect and message.
    await qi.addIndex('conversations', ['visitor_id', 'status'], { name: 'conversations_visitor_status' });
    // The agent console lists conversations by status, newest activity first.
    await qi.addIndex('conversations', ['status', 'updated_at'], { name: 'conversations_status_updated' });
    await qi.createTable('messages', {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      conversation_id: {
        type: DataTypes.INTEGER,
        allowNull: false,
        references: { model: 'conversations', key: 'id' },
        onDelete: 'CASCADE',
      },
      content: { type: DataTypes.TEXT, allowNull: false },
      is_from_admin: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      admin_name: { type: DataTypes.STRING(255), allowNull: true },
      ...timestamps,
    });
    await qi.addIndex('messages', ['conversation_id', 'id'], { name: 'messages_conversation_id' });
  },
  async down({ context: { queryInterface: qi } }) {
    await qi.dropTable('messages');
    await qi.dropTable('conversations');
    await qi.dropTable('visitors');
  },
};
