-- Issue 21: credits and quotas, and the calls useapi.net refuses about an account. Times are
-- Unix seconds, UTC.

-- A call about the account answered "a person must act now" (bot.signals): 'session_broken'
-- (596: its session is broken on useapi.net, register it again) or 'out_of_credits' (412).
-- Set by a details read so answered; cleared by a details read that answered, or a registration.
ALTER TABLE accounts ADD COLUMN call_refusal TEXT;

-- The latest figure of what each account has left, per figure (`key`: "credits", "5h",
-- "video", ...), in its service's own unit, from whichever answer carried it last (a list, a
-- details read, a registration). An answer without a figure keeps the stored one: what is left
-- (`remaining`) and when it refills (`resets_at`) go together, the allowance on its own.
CREATE TABLE account_credits (
    service       TEXT    NOT NULL,
    account       TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    label         TEXT    NOT NULL,  -- what people read: "credits", "5-hour window"
    unit          TEXT    NOT NULL,  -- "credits", "points", "seconds", "%", ...
    remaining     REAL,
    allowance     REAL,              -- what `remaining` counts down from, when the service says
    resets_at     INTEGER,           -- when it refills by itself (a quota window, a monthly allowance)
    read_at       INTEGER,           -- when `remaining` was read
    -- `/alerts credits`: when the figure was seen below its threshold (the warning's epoch, so
    -- each crossing is its own warning), and what was left then; NULL while it is not below.
    low_since     INTEGER,
    low_remaining REAL,
    PRIMARY KEY (service, account, key),
    FOREIGN KEY (service, account) REFERENCES accounts (service, account) ON DELETE CASCADE
);
-- The scheduler's credit step reads the figures below a threshold, and those that were.
CREATE INDEX account_credits_low ON account_credits (service, key, remaining);
CREATE INDEX account_credits_crossed ON account_credits (low_since) WHERE low_since IS NOT NULL;
