-- Issue 18. Times are Unix seconds, UTC.
-- The fields of useapi.net's latest answer about an account that were read as unknown: an
-- implausible date (year 1, 9999, a placeholder number) or a value not of the documented shape.
-- JSON, [["field", "implausible" | "unreadable"], ...]; names only, never values. NULL: none.
-- `/accounts` shows it ("deadline unknown (useapi.net sent an implausible date)").
ALTER TABLE accounts ADD COLUMN unreadable TEXT;
-- An older release stored whatever date useapi.net sent, year 1 included (the scheduler then
-- crashed on every pass). Such a date is no deadline known, and says why.
UPDATE accounts SET unreadable = '[["expires_at", "implausible"]]', expires_at = NULL
    WHERE expires_at < 946684800 OR expires_at > 7258118400;
UPDATE accounts SET refresh_expires_at = NULL
    WHERE refresh_expires_at < 946684800 OR refresh_expires_at > 7258118400;
UPDATE accounts SET self_renewing_expires_at = NULL
    WHERE self_renewing_expires_at < 946684800 OR self_renewing_expires_at > 7258118400;
UPDATE accounts SET next_refresh_at = NULL
    WHERE next_refresh_at < 946684800 OR next_refresh_at > 7258118400;
UPDATE accounts SET upstream_updated_at = NULL
    WHERE upstream_updated_at < 946684800 OR upstream_updated_at > 7258118400;
