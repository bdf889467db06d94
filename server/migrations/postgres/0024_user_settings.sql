-- A person's own settings: the time zone pages show times in (NULL: the browser's own).
CREATE TABLE user_settings (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    time_zone TEXT,
    updated_ms BIGINT NOT NULL
);
