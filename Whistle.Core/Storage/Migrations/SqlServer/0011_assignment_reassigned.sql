-- Issue 13: a supervisor's 改派 ends the old duty as 'reassigned' (with reassigned_at), no longer as a 'declined' the
-- unit never made. Duties moved before this migration carry the generated reason '改派 / reassigned: …' and a
-- successor: they become 'reassigned' too (the reason stays on the timeline's AssignmentReassigned event).
ALTER TABLE dbo.assignments ADD reassigned_at datetimeoffset(7) NULL;
GO
UPDATE a SET status = 'reassigned', reassigned_at = a.declined_at, declined_at = NULL, decline_reason = NULL
FROM dbo.assignments a
WHERE a.status = 'declined' AND a.decline_reason LIKE N'改派 / reassigned: %'
  AND EXISTS (SELECT 1 FROM dbo.assignments n WHERE n.previous_assignment_id = a.id);
GO
