-- Issue 13: a supervisor's 改派 ends the old duty as 'reassigned' (with reassigned_at), no longer as a 'declined' the
-- unit never made. Duties moved before this migration carry the generated reason '改派 / reassigned: …' and a
-- successor: they become 'reassigned' too (the reason stays on the timeline's AssignmentReassigned event).
ALTER TABLE assignments ADD COLUMN reassigned_at TEXT NULL;
UPDATE assignments SET status = 'reassigned', reassigned_at = declined_at, declined_at = NULL, decline_reason = NULL
WHERE status = 'declined' AND decline_reason LIKE '改派 / reassigned: %'
  AND EXISTS (SELECT 1 FROM assignments n WHERE n.previous_assignment_id = assignments.id);
