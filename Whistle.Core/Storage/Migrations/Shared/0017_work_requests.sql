-- Issue 17: a whistle's level. A township's whistle (township_id: the raising township, matter_code: the matter) or a
-- city department's work request (工作事项: township_id holds the requesting department, matter_code the work item's
-- code, relation_id the relation it was raised along). The duties of a work request name the institution in
-- agency_code and the office or linked branch in branch_id. One engine: the same rows, the same dispatch, deadlines,
-- timeline, outbox, push and assessment.
ALTER TABLE {schema}whistles {add-column} level {text:16} NOT NULL DEFAULT 'township';
{go}
ALTER TABLE {schema}whistles {add-column} relation_id {text:64} NULL;
{go}
CREATE INDEX ix_whistles_level ON {schema}whistles (level, raised_at);
