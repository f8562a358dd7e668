-- Issue 19: what a scheduler pass reads grows with the accounts inside the warning window, not
-- with every account. Each index serves one query of bot/tables/, named beside it.

-- The window (alert_log.watch_window): accounts expiring up to a service's horizon, and the
-- earliest expiry past it (for the next due moment).
CREATE INDEX accounts_expiry ON accounts (service, expires_at);
-- ... and the accounts a person must act on whatever their expiry: gone, or with a reason.
CREATE INDEX accounts_gone ON accounts (service) WHERE gone_at IS NOT NULL;
CREATE INDEX accounts_reason ON accounts (service) WHERE last_error <> '';
-- Live details due (accounts.details_due): present accounts, least recently read first.
CREATE INDEX accounts_details_due ON accounts (service, details_checked_at, account) WHERE gone_at IS NULL;
-- The /… remove autocomplete (accounts.account_names): a typed prefix, whatever its case.
CREATE INDEX accounts_name_nocase ON accounts (service, account COLLATE NOCASE);
