-- Issue 18 §4 and issue 23's follow-through fixes. A warning's message is kept in step with its
-- stored state: every change the message must show (a claim, a take-over, a lapse, the
-- resolution) adds one to `state_version`; a successful edit records the version it drew in
-- `drawn_version`. A message whose `drawn_version` is behind is redrawn, from the state stored
-- at the moment of the edit, until it matches (or, after MAX_EDIT_ATTEMPTS failed edits of one
-- version, `edit_state` = 'failed'; 'gone' once the message was deleted). `edit_attempts`
-- counts the failed edits of the current version. ('done' is no longer written.)
ALTER TABLE alert_warnings ADD COLUMN state_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alert_warnings ADD COLUMN drawn_version INTEGER NOT NULL DEFAULT 0;
-- A resolved warning was one change past its posted message: drawn when its edit was done.
UPDATE alert_warnings SET state_version = 1,
    drawn_version = CASE WHEN edit_state = 'done' THEN 1 ELSE 0 END,
    edit_state = CASE WHEN edit_state = 'done' THEN NULL ELSE edit_state END
    WHERE resolved_at IS NOT NULL;
-- The scheduler reads the messages to redraw at every pass: only those rows are indexed.
CREATE INDEX alert_warnings_redraw ON alert_warnings (recorded_at)
    WHERE drawn_version < state_version AND edit_state IS NULL AND message_id IS NOT NULL;
