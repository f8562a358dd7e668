-- Issue 23 (the number reserved for it is 013: renumber at merge). Times are Unix seconds, UTC.

-- An account's owner is the member who last registered it through the bot (`registered_by`),
-- unless an admin (`/alerts owner`) or a claim of an account nobody owned chose one since:
-- `owner_id` since `owner_since` wins over a registration older than it (bot/owners.py).
ALTER TABLE accounts ADD COLUMN owner_id INTEGER;
ALTER TABLE accounts ADD COLUMN owner_since INTEGER;

-- `/notify me`: a member who gets the early stages of the accounts they own by direct message.
-- `note` is what the bot must tell them privately after their next command (their DMs were
-- refused, so those warnings went to the channel); `refused_at` the last refusal, and
-- `told_refused` whether that was said since (one note per stretch of closed DMs).
CREATE TABLE member_notify (
    user_id      INTEGER PRIMARY KEY,
    dm_early     INTEGER NOT NULL DEFAULT 0,
    refused_at   INTEGER,
    told_refused INTEGER NOT NULL DEFAULT 0,
    note         TEXT
);

-- `/alerts escalate`: the one escalation of a warning (the warning's key and the moment it was
-- posted, so a warning posted again gets its own), posted as a reply to it.
CREATE TABLE escalations (
    service     TEXT    NOT NULL,
    account     TEXT    NOT NULL,
    epoch       INTEGER NOT NULL,
    stage       TEXT    NOT NULL,
    warned_at   INTEGER NOT NULL,  -- the warning's recorded_at
    recorded_at INTEGER NOT NULL,
    message_id  INTEGER,
    channel_id  INTEGER,
    PRIMARY KEY (service, account, epoch, stage, warned_at)
);
CREATE INDEX escalations_recorded ON escalations (recorded_at);
