/**
 * HarperDB's operation catalogue (3.x and 4.x names), what FerryDB answers for each one it does
 * not register, and the request fields and sample responses docs/operations.md shows. Whether an
 * operation is supported is never written here: it is whatever the registry holds.
 */

export type Since = '3.x' | '4.x' | '3.x and 4.x';

export interface CatalogueEntry {
  name: string;
  since: Since;
  group: string;
  /** Request fields (besides `operation`); `?` marks optional ones. */
  fields?: string;
  /** A sample response body (JSON text). */
  sample?: string;
  /** Why FerryDB deliberately does not offer it (answered as a 400). */
  unsupported?: string;
}

const S3 = 'FerryDB does not support Amazon S3 import/export; use csv_url_load, or export_local and copy the file';
const COMPONENTS = 'FerryDB does not support HarperDB components or custom functions (no application code runs inside the database)';
const LICENSE = 'FerryDB does not support HarperDB licensing: it needs no licence (Apache-2.0)';
const CERTS = 'FerryDB does not support certificate management operations; configure TLS files in the configuration (clustering.tls.*)';
const NOT_OFFERED = 'FerryDB does not support this HarperDB operation';

const e = (name: string, since: Since, group: string, fields?: string, sample?: string): CatalogueEntry => ({ name, since, group, ...(fields !== undefined ? { fields } : {}), ...(sample !== undefined ? { sample } : {}) });
const no = (name: string, since: Since, group: string, unsupported: string): CatalogueEntry => ({ name, since, group, unsupported });

const MSG = (m: string) => JSON.stringify({ message: m });
const JOB = '{"message":"Starting job with id <uuid>","job_id":"<uuid>"}';
const DB = 'database (or schema)?';

export const CATALOGUE: readonly CatalogueEntry[] = [
  e('create_schema', '3.x and 4.x', 'databases and tables', DB, MSG("database 'dev' successfully created")),
  e('create_database', '4.x', 'databases and tables', DB, MSG("database 'dev' successfully created")),
  e('drop_schema', '3.x and 4.x', 'databases and tables', DB, MSG("successfully deleted 'dev'")),
  e('drop_database', '4.x', 'databases and tables', DB, MSG("successfully deleted 'dev'")),
  e('describe_schema', '3.x and 4.x', 'databases and tables', DB, '{"dog":{"schema":"dev","name":"dog","hash_attribute":"id","record_count":2,...}}'),
  e('describe_database', '4.x', 'databases and tables', DB, '{"dog":{"schema":"dev","name":"dog","hash_attribute":"id","record_count":2,...}}'),
  e('describe_all', '3.x and 4.x', 'databases and tables', '', '{"dev":{"dog":{"schema":"dev","name":"dog",...}}}'),
  e('create_table', '3.x and 4.x', 'databases and tables', `${DB}, table, hash_attribute (or primary_key), attributes?`, MSG("table 'dev.dog' successfully created.")),
  e('drop_table', '3.x and 4.x', 'databases and tables', `${DB}, table`, MSG("successfully deleted table 'dev.dog'")),
  e('describe_table', '3.x and 4.x', 'databases and tables', `${DB}, table`, '{"schema":"dev","name":"dog","hash_attribute":"id","attributes":[{"attribute":"id","is_primary_key":true,"indexed":true},...],"record_count":2}'),
  e('create_attribute', '3.x and 4.x', 'databases and tables', `${DB}, table, attribute`, MSG("attribute 'dev.dog.owner' successfully created.")),
  e('drop_attribute', '3.x and 4.x', 'databases and tables', `${DB}, table, attribute`, MSG("successfully deleted attribute 'owner'")),

  e('insert', '3.x and 4.x', 'NoSQL', `${DB}, table, records`, '{"message":"inserted 2 of 2 records","inserted_hashes":[1,2],"skipped_hashes":[]}'),
  e('update', '3.x and 4.x', 'NoSQL', `${DB}, table, records`, '{"message":"updated 1 of 1 records","update_hashes":[1],"skipped_hashes":[]}'),
  e('upsert', '3.x and 4.x', 'NoSQL', `${DB}, table, records`, '{"message":"upserted 1 of 1 records","upserted_hashes":[1]}'),
  e('delete', '3.x and 4.x', 'NoSQL', `${DB}, table, ids (or hash_values)`, '{"message":"1 of 1 record successfully deleted","deleted_hashes":[1],"skipped_hashes":[]}'),
  e('search_by_hash', '3.x and 4.x', 'NoSQL', `${DB}, table, hash_values (or ids), get_attributes?`, '[{"id":1,"name":"Penny"}]'),
  e('search_by_id', '4.x', 'NoSQL', `${DB}, table, ids (or hash_values), get_attributes?`, '[{"id":1,"name":"Penny"}]'),
  e('search_by_value', '3.x and 4.x', 'NoSQL', `${DB}, table, attribute (or search_attribute), value (or search_value), get_attributes?, limit?, offset?, desc?`, '[{"id":1,"name":"Penny"}]'),
  e('search_by_conditions', '3.x and 4.x', 'NoSQL', `${DB}, table, conditions, operator?, get_attributes?, limit?, offset?, sort?`, '[{"id":1,"name":"Penny"}]'),
  e('sql', '3.x and 4.x', 'SQL', 'sql', '[{"id":1,"name":"Penny"}]'),

  e('csv_data_load', '3.x and 4.x', 'bulk and jobs', `${DB}, table, data, action?`, JOB),
  e('csv_file_load', '3.x and 4.x', 'bulk and jobs', `${DB}, table, file_path, action?`, JOB),
  e('csv_url_load', '3.x and 4.x', 'bulk and jobs', `${DB}, table, csv_url, action?`, JOB),
  no('import_from_s3', '3.x and 4.x', 'bulk and jobs', S3),
  e('export_local', '3.x and 4.x', 'bulk and jobs', 'format (json|csv), path, search_operation, filename?', JOB),
  no('export_to_s3', '3.x and 4.x', 'bulk and jobs', S3),
  e('delete_files_before', '3.x and 4.x', 'bulk and jobs', `${DB}, table, date`, JOB),
  e('delete_records_before', '3.x and 4.x', 'bulk and jobs', `${DB}, table, date`, JOB),
  e('get_job', '3.x and 4.x', 'bulk and jobs', 'id', '[{"id":"<uuid>","type":"csv_data_load","status":"COMPLETE","message":"successfully loaded 2 of 2 records",...}]'),
  e('search_jobs_by_start_date', '3.x and 4.x', 'bulk and jobs', 'from_date, to_date', '[{"id":"<uuid>","status":"COMPLETE",...}]'),

  e('add_user', '3.x and 4.x', 'users and roles', 'username, password, role, active?', MSG('hdb_user successfully added')),
  e('alter_user', '3.x and 4.x', 'users and roles', 'username, password?, role?, active?'),
  e('drop_user', '3.x and 4.x', 'users and roles', 'username', MSG('hdb_user successfully deleted')),
  e('list_users', '3.x and 4.x', 'users and roles', '', '[{"username":"admin","active":true,"role":{...}}]'),
  e('user_info', '3.x and 4.x', 'users and roles', '', '{"username":"admin","active":true,"role":{"role":"super_user","permission":{"super_user":true}}}'),
  e('add_role', '3.x and 4.x', 'users and roles', 'role, permission'),
  e('alter_role', '3.x and 4.x', 'users and roles', 'id, role?, permission'),
  e('drop_role', '3.x and 4.x', 'users and roles', 'id'),
  e('list_roles', '3.x and 4.x', 'users and roles', ''),
  e('create_authentication_tokens', '3.x and 4.x', 'users and roles', 'username, password', '{"operation_token":"<JWT>","refresh_token":"<JWT>"}'),
  e('refresh_operation_token', '3.x and 4.x', 'users and roles', 'refresh_token', '{"operation_token":"<JWT>"}'),
  e('login', '4.x', 'users and roles', 'username, password'),
  e('logout', '4.x', 'users and roles', ''),

  e('add_node', '3.x and 4.x', 'clustering', '3.x: name, host, port, subscriptions?; 4.x: node_name, subscriptions', MSG('successfully added edge to manifest')),
  e('update_node', '3.x and 4.x', 'clustering', '3.x: name, subscriptions; 4.x: node_name, subscriptions', MSG('successfully updated edge')),
  e('set_node_replication', '4.x', 'clustering', 'node_name, subscriptions'),
  e('remove_node', '3.x and 4.x', 'clustering', 'name (or node_name)', MSG('successfully removed edge from manifest')),
  e('cluster_status', '3.x and 4.x', 'clustering', '', '{"is_enabled":true,"node_name":"hq","status":{"outbound_connections":[...],"inbound_connections":[...]}}'),
  e('configure_cluster', '3.x and 4.x', 'clustering', '3.x: settings; 4.x: connections'),
  e('cluster_network', '4.x', 'clustering', 'timeout?, connected_nodes?, routes?'),
  e('cluster_set_routes', '4.x', 'clustering', 'server?, routes'),
  e('cluster_get_routes', '4.x', 'clustering', ''),
  e('cluster_delete_routes', '4.x', 'clustering', 'routes'),
  e('purge_stream', '4.x', 'clustering', 'database, table, options?'),

  e('read_log', '3.x and 4.x', 'logs', 'limit?, start?, level?, from?, until?, order?', '[{"level":"notify","message":"operations API listening","timestamp":"2026-01-01T00:00:00.000Z","thread":"main"}]'),
  e('read_transaction_log', '3.x and 4.x', 'logs', `${DB}, table, from?, to?, limit?, search_type?, search_values?`, '[{"operation":"define_schema",...},{"operation":"insert","user":"admin","timestamp":1735689600000,"hash_values":[1,2],"records":[{"id":1},{"id":2}]}]'),
  e('delete_transaction_logs_before', '3.x and 4.x', 'logs', `${DB}, table, timestamp`, JOB),
  e('read_audit_log', '4.x', 'logs', `${DB}, table, search_type?, search_values?, limit?`, '[{"operation":"insert","user_name":"admin","timestamp":1735689600000,"hash_values":[1,2],"records":[{"id":1},{"id":2}]}]'),
  e('delete_audit_logs_before', '4.x', 'logs', `${DB}, table, timestamp`, JOB),

  e('system_information', '3.x and 4.x', 'system', 'attributes?', '{"system":{...},"time":{...},"cpu":{...},"memory":{...},"disk":{...},"network":{...},"harperdb_processes":{...},"table_size":[...]}'),
  e('restart', '3.x and 4.x', 'system', '', MSG('Restarting FerryDB. This may take up to 60 seconds.')),
  e('restart_service', '3.x and 4.x', 'system', 'service', MSG('Restarting clustering')),
  e('get_configuration', '3.x and 4.x', 'system', '', '{"rootPath":"/data","operationsApi":{...},"authentication":{...},"logging":{...},...}'),
  e('set_configuration', '4.x', 'system', 'any setting by its flattened name, e.g. logging_level', MSG('Configuration successfully set. You must restart FerryDB for new config settings to take effect.')),
  e('registration_info', '3.x and 4.x', 'system', '', '{"registered":true,"version":"0.1.0","ram_allocation":8192,"license_expiration_date":null,...}'),
  e('get_fingerprint', '3.x and 4.x', 'system', '', MSG('<sha256 of this installation>')),
  no('set_license', '3.x and 4.x', 'system', LICENSE),
  no('install_usage_license', '4.x', 'system', LICENSE),
  no('get_usage_licenses', '4.x', 'system', LICENSE),
  e('get_components', '4.x', 'components', '', '{"name":"components","entries":[]}'),
  ...['get_component_file', 'set_component_file', 'drop_component', 'add_component', 'package_component', 'deploy_component',
    'add_ssh_key', 'update_ssh_key', 'delete_ssh_key', 'list_ssh_keys', 'set_ssh_known_hosts', 'get_ssh_known_hosts'].map((n) => no(n, '4.x', 'components', COMPONENTS)),
  ...['custom_functions_status', 'get_custom_functions', 'get_custom_function', 'set_custom_function', 'drop_custom_function',
    'add_custom_function_project', 'drop_custom_function_project', 'package_custom_function_project', 'deploy_custom_function_project',
    'install_node_modules', 'audit_node_modules'].map((n) => no(n, '3.x', 'components', COMPONENTS)),
  ...['add_certificate', 'remove_certificate', 'list_certificates', 'create_csr', 'sign_certificate', 'get_key'].map((n) => no(n, '4.x', 'certificates', CERTS)),
  ...['get_backup', 'cleanup_orphan_blobs', 'get_analytics', 'list_metrics', 'describe_metric', 'get_status', 'set_status', 'clear_status'].map((n) => no(n, '4.x', 'other 4.x operations', NOT_OFFERED)),
];

const BY_NAME = new Map(CATALOGUE.map((c) => [c.name, c]));

export function catalogueEntry(name: string): CatalogueEntry | undefined {
  return BY_NAME.get(name);
}
