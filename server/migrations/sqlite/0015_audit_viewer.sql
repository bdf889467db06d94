-- The audit viewer (docs/audit.md) pages the log newest first by (at_ms, seq) under filters,
-- and retention removes the oldest entries while the chain stays verifiable.

-- One index per filter, each ending in at_ms (and, implicitly, the rowid `seq`), so a filtered
-- page is read in order from its index and stops after one page. (team, at_ms) exists.
CREATE INDEX audit_log_action_at ON audit_log (action, at_ms);
CREATE INDEX audit_log_actor_at ON audit_log (actor_subject, at_ms);
CREATE INDEX audit_log_actor_name_at ON audit_log (lower(actor_name), at_ms);
CREATE INDEX audit_log_outcome_at ON audit_log (outcome, at_ms);
-- Which actions a team's entries have (the team viewer's action filter).
CREATE INDEX audit_log_team_action ON audit_log (team, action);

-- Free text: a trigram index over the searchable fields. Contentless (the text is in
-- audit_log) and without positions: a search asks for all of its trigrams and then checks
-- the row itself, so the index only has to narrow the candidates.
CREATE VIRTUAL TABLE audit_search USING fts5(
    body, content = '', detail = 'none', tokenize = 'trigram'
);
INSERT INTO audit_search (rowid, body)
SELECT seq,
       coalesce(actor_name, '') || ' ' || coalesce(actor_subject, '') || ' ' ||
       coalesce(team, '') || ' ' || action || ' ' || coalesce(target, '') || ' ' ||
       outcome || ' ' || coalesce(detail, '') || ' ' || coalesce(request_id, '')
FROM audit_log;
CREATE TRIGGER audit_log_search_insert AFTER INSERT ON audit_log
BEGIN
    INSERT INTO audit_search (rowid, body) VALUES (
        NEW.seq,
        coalesce(NEW.actor_name, '') || ' ' || coalesce(NEW.actor_subject, '') || ' ' ||
        coalesce(NEW.team, '') || ' ' || NEW.action || ' ' || coalesce(NEW.target, '') || ' ' ||
        NEW.outcome || ' ' || coalesce(NEW.detail, '') || ' ' || coalesce(NEW.request_id, '')
    );
END;
-- A contentless table forgets a row when told the text it indexed.
CREATE TRIGGER audit_log_search_delete AFTER DELETE ON audit_log
BEGIN
    INSERT INTO audit_search (audit_search, rowid, body) VALUES (
        'delete',
        OLD.seq,
        coalesce(OLD.actor_name, '') || ' ' || coalesce(OLD.actor_subject, '') || ' ' ||
        coalesce(OLD.team, '') || ' ' || OLD.action || ' ' || coalesce(OLD.target, '') || ' ' ||
        OLD.outcome || ' ' || coalesce(OLD.detail, '') || ' ' || coalesce(OLD.request_id, '')
    );
END;

-- The actions ever logged, for the viewer's action filter (a DISTINCT over the log would read
-- every entry).
CREATE TABLE audit_actions (action TEXT PRIMARY KEY);
INSERT OR IGNORE INTO audit_actions (action) SELECT DISTINCT action FROM audit_log;
CREATE TRIGGER audit_log_actions AFTER INSERT ON audit_log
BEGIN
    INSERT OR IGNORE INTO audit_actions (action) VALUES (NEW.action);
END;

-- Retention: entries up to through_seq were removed; through_hash is the last removed
-- entry's hash, the first kept entry's prev_hash. Verification starts here, and the value
-- must be the one an `audit.retention` entry in the chain recorded.
CREATE TABLE audit_checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    through_seq INTEGER NOT NULL,
    through_hash TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
INSERT INTO audit_checkpoint (id, through_seq, through_hash, at_ms)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0);

-- Entries at or below the checkpoint may go; everything else stays append-only.
DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.seq > (SELECT through_seq FROM audit_checkpoint WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- The newest verification of the chain, whoever ran it (the background check, the CLI).
CREATE TABLE audit_verification (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at_ms INTEGER NOT NULL,
    from_seq INTEGER NOT NULL,
    entries_checked INTEGER NOT NULL,
    problem_seq INTEGER,
    problem TEXT
);
