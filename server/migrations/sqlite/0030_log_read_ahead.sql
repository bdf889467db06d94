-- Task logs are read ahead of their first view (server/src/logs/read_ahead.rs): each replica
-- asks every few seconds which task instances the sync changed since it last asked. The sync
-- stamps `synced_ms` on every change it writes, so this finds them without a scan.
CREATE INDEX task_instances_synced ON task_instances (synced_ms);
