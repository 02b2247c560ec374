-- A submission's files (请示/报告/备案 with their documents and photos): an attachment linked to a submission names it.
-- Written by Attachments/AttachmentStore, linked in the submission's own transaction (City/SubmissionStore); read by whoever
-- sees the submission.
ALTER TABLE {schema}attachments {add-column} submission_id {text:40} NULL;
{go}
CREATE INDEX ix_attachments_submission ON {schema}attachments (submission_id);
