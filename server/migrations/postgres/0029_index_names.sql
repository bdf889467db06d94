-- The two migration sets name every index alike (server/tests/it/schema_parity.rs): 0015
-- replaced audit_log_at and audit_log_team_at by (…, seq) versions under new names, which
-- SQLite never needed (its indexes end with the rowid, seq). Same index, the same name again.
ALTER INDEX audit_log_at_seq RENAME TO audit_log_at;
ALTER INDEX audit_log_team_at_seq RENAME TO audit_log_team_at;
