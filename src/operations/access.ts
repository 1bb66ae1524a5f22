/**
 * What each operation needs, declared in one table so the security model can be read in one
 * place (docs/security.md mirrors it). An operation registered with its own `access` keeps it;
 * one missing here falls back to its `superUserOnly` flag ('super', or 'any' when false — its
 * handler then checks tables itself, as SQL and REST do through assertTableAccess).
 */
import type { TableAction } from '../auth/permissions.js';

export type Access =
  /** Super users only (HarperDB's restricted operations). */
  | 'super'
  /** Any authenticated user; the handler applies table and attribute rules. */
  | 'any'
  /** No authentication at all (the credentials are in the body). */
  | 'public'
  /** Table permission on body.database/schema + body.table, checked before the handler ('load': body.action, default insert). */
  | { table: TableAction | 'upsert' | 'load' }
  /** Super users and structure users: 'database' needs structure_user true, 'table' also accepts a list naming the database. */
  | { structure: 'database' | 'table' };

export const CORE_ACCESS: Readonly<Record<string, Access>> = {
  // databases, tables, attributes
  create_schema: { structure: 'database' }, create_database: { structure: 'database' },
  drop_schema: { structure: 'database' }, drop_database: { structure: 'database' },
  create_table: { structure: 'table' }, drop_table: { structure: 'table' },
  create_attribute: { table: 'insert' }, drop_attribute: 'super',
  describe_schema: 'any', describe_database: 'any', describe_all: 'any', describe_table: 'any',
  // NoSQL
  insert: { table: 'insert' }, update: { table: 'update' }, upsert: { table: 'upsert' }, delete: { table: 'delete' },
  search_by_hash: { table: 'read' }, search_by_id: { table: 'read' }, search_by_value: { table: 'read' }, search_by_conditions: { table: 'read' },
  // bulk loads and jobs
  csv_data_load: { table: 'load' }, csv_url_load: { table: 'load' }, csv_file_load: 'super',
  get_job: 'any', search_jobs_by_start_date: 'super',
  // users, roles, tokens
  add_role: 'super', alter_role: 'super', drop_role: 'super', list_roles: 'super',
  add_user: 'super', alter_user: 'super', drop_user: 'super', list_users: 'super', user_info: 'any',
  create_authentication_tokens: 'public', refresh_operation_token: 'public',
  // logs, system, clustering
  read_log: 'super', read_audit_log: 'super', read_transaction_log: 'super',
  system_information: 'super', get_configuration: 'super', restart: 'super', restart_service: 'super',
  add_node: 'super', update_node: 'super', set_node_replication: 'super', remove_node: 'super', cluster_status: 'super',
  // HarperDB operations other subsystems register (declared here so they are never open by mistake)
  sql: 'any', import_from_s3: { table: 'load' }, registration_info: 'any',
  export_local: 'super', export_to_s3: 'super', delete_records_before: 'super', delete_files_before: 'super',
  delete_audit_logs_before: 'super', delete_transaction_logs_before: 'super', set_configuration: 'super', configure_cluster: 'super',
  cluster_network: 'super', cluster_set_routes: 'super', cluster_get_routes: 'super', cluster_delete_routes: 'super', purge_stream: 'super',
  get_fingerprint: 'super', set_license: 'super', get_backup: 'super', get_analytics: 'super', list_metrics: 'super', describe_metric: 'super',
  get_status: 'super', set_status: 'super', clear_status: 'super', get_components: 'super', get_component_file: 'super',
  set_component_file: 'super', drop_component: 'super', add_component: 'super', package_component: 'super', deploy_component: 'super',
};
