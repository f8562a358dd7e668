-- Accounts the bot tracks. Times are Unix seconds, UTC. No cookie or token is ever stored.
CREATE TABLE accounts (
    service             TEXT    NOT NULL,
    account             TEXT    NOT NULL,
    expires_at          INTEGER,
    refresh_expires_at  INTEGER,
    concurrency         INTEGER,
    credits_usage       REAL,
    credits_limit       REAL,
    max_jobs            INTEGER,
    registered_by       INTEGER,
    registered_at       INTEGER,
    last_error          TEXT,
    upstream_updated_at INTEGER,
    first_seen_at       INTEGER NOT NULL,
    synced_at           INTEGER,
    gone_at             INTEGER,
    PRIMARY KEY (service, account)
);

-- Who may register: single users or whole roles.
CREATE TABLE approvals (
    kind       TEXT    NOT NULL CHECK (kind IN ('user', 'role')),
    target_id  INTEGER NOT NULL,
    granted_by INTEGER NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (kind, target_id)
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Every registration attempt and access change: who, when, what, outcome.
CREATE TABLE audit (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    actor_id INTEGER,
    action   TEXT    NOT NULL,
    service  TEXT,
    target   TEXT,
    outcome  TEXT    NOT NULL,
    detail   TEXT
);
CREATE INDEX audit_at ON audit (at);
