-- Issue 13: what a 第十四条 notice lists is the target's newest active complaints of a window of
-- months. The month is the complaint mail's Date and filed_at its handling time, so the walk by
-- (target, status, filed_at) could not stop at the window: when the window held fewer than the
-- list's length it read the target's whole history (12 µs a call at 10,000 mails, 44 µs at
-- 100,000). Each month of the window is now walked newest first on its own, LIMIT rows at most.
CREATE INDEX complaints_target_month_newest ON complaints (target, status, month, filed_at, id);
