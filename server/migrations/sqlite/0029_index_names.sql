-- Nothing to do on SQLite: PostgreSQL's 0029 gives two indexes back the names SQLite's have
-- always had. Kept so both sets have the same versions.
SELECT 1;
