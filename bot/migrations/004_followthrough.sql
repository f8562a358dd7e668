-- Warnings that follow through (issue 14). Times are Unix seconds, UTC.
-- A posted warning stays "open" until what it warned about no longer holds: then it is
-- resolved (`resolved_at`, how in `resolution`, by whom in `resolved_by`) and its message is
-- edited once (`edit_state`: NULL while the edit is pending, 'done', or 'failed' after the
-- last attempt; `edit_attempts` counts them so a broken message is never retried forever).
ALTER TABLE alert_warnings ADD COLUMN resolved_at INTEGER;
ALTER TABLE alert_warnings ADD COLUMN resolution TEXT;      -- 'renewed', 'refreshed', 'outside', 'cleared', 'returned', 'removed', 'superseded'
ALTER TABLE alert_warnings ADD COLUMN resolved_by INTEGER;  -- the member who renewed or removed it
ALTER TABLE alert_warnings ADD COLUMN edit_state TEXT;
ALTER TABLE alert_warnings ADD COLUMN edit_attempts INTEGER NOT NULL DEFAULT 0;
-- The embed as posted (upstream data already escaped; never a credential): later edits redraw
-- it with the claim or the resolution, without reading the message back from Discord.
ALTER TABLE alert_warnings ADD COLUMN embed TEXT;
-- "I'm on it": who claimed the warning and when; `claim_lapsed_*` says whose claim ran out.
ALTER TABLE alert_warnings ADD COLUMN claimed_by INTEGER;
ALTER TABLE alert_warnings ADD COLUMN claimed_at INTEGER;
ALTER TABLE alert_warnings ADD COLUMN took_over_from INTEGER;
ALTER TABLE alert_warnings ADD COLUMN claim_lapsed_by INTEGER;
ALTER TABLE alert_warnings ADD COLUMN claim_lapsed_at INTEGER;
-- Reminders are rows of this table too, stage 'remind:<n>' (n counts them per expiry), so
-- each is recorded once and posted with its own nonce; `reply_to` is the warning answered.
ALTER TABLE alert_warnings ADD COLUMN reply_to INTEGER;
ALTER TABLE alert_warnings ADD COLUMN channel_id INTEGER;
CREATE INDEX alert_warnings_message ON alert_warnings (message_id);
CREATE INDEX alert_warnings_open ON alert_warnings (resolved_at, status);
CREATE INDEX alert_warnings_recorded ON alert_warnings (recorded_at);
