-- The scheduler's window (bot/tables/alert_log.py, watch_window) joins each account with its
-- recorded warnings every pass. Since 004 a warning row also holds its posted embed, so reading
-- the row itself for `resolved_at` costs a page per warning; this index answers the join alone.
CREATE INDEX alert_warnings_recorded_cover ON alert_warnings (service, account, epoch, stage, resolved_at);
