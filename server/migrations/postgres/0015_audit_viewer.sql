-- The audit viewer (docs/audit.md) pages the log newest first by (at_ms, seq) under filters,
-- and retention removes the oldest entries while the chain stays verifiable.

-- One index per filter, each ending in (at_ms, seq), so a filtered page is read in order
-- from its index and stops after one page.
CREATE INDEX audit_log_at_seq ON audit_log (at_ms, seq);
CREATE INDEX audit_log_team_at_seq ON audit_log (team, at_ms, seq);
CREATE INDEX audit_log_action_at ON audit_log (action, at_ms, seq);
CREATE INDEX audit_log_actor_at ON audit_log (actor_subject, at_ms, seq);
CREATE INDEX audit_log_actor_name_at ON audit_log (lower(actor_name), at_ms, seq);
CREATE INDEX audit_log_outcome_at ON audit_log (outcome, at_ms, seq);
-- Which actions a team's entries have (the team viewer's action filter).
CREATE INDEX audit_log_team_action ON audit_log (team, action);
DROP INDEX audit_log_at;
DROP INDEX audit_log_team_at;

-- Free text: a trigram index (pg_trgm, a trusted extension: the database owner may create
-- it) over the searchable fields, lower-cased. Queries call the same function.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE FUNCTION hangar_audit_text(
    actor_name TEXT, actor_subject TEXT, team TEXT, action TEXT, target TEXT, outcome TEXT,
    detail TEXT, request_id TEXT
) RETURNS TEXT LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT lower(coalesce(actor_name, '') || ' ' || coalesce(actor_subject, '') || ' ' ||
        coalesce(team, '') || ' ' || action || ' ' || coalesce(target, '') || ' ' ||
        outcome || ' ' || coalesce(detail, '') || ' ' || coalesce(request_id, ''))
$$;
CREATE INDEX audit_log_search ON audit_log USING gin (
    hangar_audit_text(actor_name, actor_subject, team, action, target, outcome, detail,
        request_id) gin_trgm_ops
);

-- The actions ever logged, for the viewer's action filter (a DISTINCT over the log would read
-- every entry).
CREATE TABLE audit_actions (action TEXT PRIMARY KEY);
INSERT INTO audit_actions (action) SELECT DISTINCT action FROM audit_log;
CREATE FUNCTION audit_log_remember_action() RETURNS trigger AS $$
BEGIN
    INSERT INTO audit_actions (action) VALUES (NEW.action) ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_actions AFTER INSERT ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_remember_action();

-- Retention: entries up to through_seq were removed; through_hash is the last removed
-- entry's hash, the first kept entry's prev_hash. Verification starts here, and the value
-- must be the one an `audit.retention` entry in the chain recorded.
CREATE TABLE audit_checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    through_seq BIGINT NOT NULL,
    through_hash TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
INSERT INTO audit_checkpoint (id, through_seq, through_hash, at_ms)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0);

-- Entries at or below the checkpoint may go; everything else stays append-only.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
        AND OLD.seq <= (SELECT through_seq FROM audit_checkpoint WHERE id = 1) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;

-- The newest verification of the chain, whoever ran it (the background check, the CLI).
CREATE TABLE audit_verification (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at_ms BIGINT NOT NULL,
    from_seq BIGINT NOT NULL,
    entries_checked BIGINT NOT NULL,
    problem_seq BIGINT,
    problem TEXT
);
