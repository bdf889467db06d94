-- A person's own settings: the time zone pages show times in (NULL: the browser's own).
CREATE TABLE user_settings (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    time_zone TEXT,
    updated_ms INTEGER NOT NULL
);
