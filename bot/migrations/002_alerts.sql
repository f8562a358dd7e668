-- Expiry watch. Times are Unix seconds, UTC.

-- Every warning the scheduler has dealt with, keyed by what it is about: a changed expiry is a
-- new key, so a renewal re-arms every stage. 'skipped' marks less urgent stages passed over
-- during a catch-up, so they never fire later.
CREATE TABLE alert_warnings (
    service     TEXT    NOT NULL,
    account     TEXT    NOT NULL,
    epoch       INTEGER NOT NULL,  -- the expiry (or the disappearance) the warning is about
    stage       TEXT    NOT NULL,  -- '3d', '24h', '6h', 'expired', 'error:<hash>', 'gone'
    status      TEXT    NOT NULL CHECK (status IN ('sent', 'skipped')),
    recorded_at INTEGER NOT NULL,
    message_id  INTEGER,
    PRIMARY KEY (service, account, epoch, stage)
);

-- Warnings that fell due but could not be posted yet; shown by /alerts status.
CREATE TABLE alert_failures (
    service         TEXT    NOT NULL,
    account         TEXT    NOT NULL,
    epoch           INTEGER NOT NULL,
    stage           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    first_failed_at INTEGER NOT NULL,
    last_failed_at  INTEGER NOT NULL,
    reason          TEXT    NOT NULL,
    PRIMARY KEY (service, account, epoch, stage)
);

-- Which running instance may send warnings: renewed every pass, taken over once expired.
CREATE TABLE scheduler_lease (
    name        TEXT    PRIMARY KEY,
    holder      TEXT    NOT NULL,
    acquired_at INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
