-- What a person must act on, beyond the deadline (see bot/signals.py). Times are Unix seconds.
-- `last_error` stays the one reason a person is needed now, composed from these and kept in
-- step by the store; the parts are kept so a later read of one signal doesn't erase another.
ALTER TABLE accounts ADD COLUMN upstream_error TEXT;            -- useapi.net's `error` as last read
ALTER TABLE accounts ADD COLUMN health TEXT;                    -- Google Flow's `health` as last read
ALTER TABLE accounts ADD COLUMN session_valid INTEGER;          -- Luma's live check: 1, 0, NULL unknown
ALTER TABLE accounts ADD COLUMN self_renewing_expires_at INTEGER; -- a token useapi.net refreshes itself
ALTER TABLE accounts ADD COLUMN next_refresh_at INTEGER;        -- when useapi.net says it refreshes it
-- 1 once useapi.net was seen moving an LTX tokenExpire forward by itself: the deadline is then
-- refreshTokenExpire, and tokenExpire is watched as a self-renewing token.
ALTER TABLE accounts ADD COLUMN self_renewing INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN details_checked_at INTEGER;     -- last GET /accounts/{account}
UPDATE accounts SET upstream_error = last_error;
