-- Issue 17, the establishment office (编办): a relation's mechanism records kept in upkeep (by the lead department or the
-- office; who and when — a record the county file gave has neither, and a later import leaves an upkeep record be), and
-- the office's follow-ups (督促建立机制) to a pair whose mechanism is missing: raised to the relation's lead department
-- (the institution sees them), with the records missing then, a limit and its escalation chain's next step; replied
-- to, and closed once the mechanism is complete. Written by County/CityStore and County/FollowUpStore.
ALTER TABLE {schema}relation_mechanisms {add-column} recorded_by {text:100} NULL;
{go}
ALTER TABLE {schema}relation_mechanisms {add-column} recorded_at {timestamp} NULL;
{go}
CREATE TABLE {schema}mechanism_followups (
    id               {text:40}  NOT NULL PRIMARY KEY,
    relation_id      {text:64}  NOT NULL,
    department_id    {text:64}  NOT NULL,
    institution_id   {text:64}  NOT NULL,
    missing          {text:400} NOT NULL,
    note             {text}     NOT NULL,
    status           {text:16}  NOT NULL,
    raised_by        {text:100} NOT NULL,
    raised_by_name   {text:100} NOT NULL,
    raised_at        {timestamp} NOT NULL,
    due_at           {timestamp} NOT NULL,
    reply            {text}     NULL,
    replied_by       {text:100} NULL,
    replied_by_name  {text:100} NULL,
    replied_at       {timestamp} NULL,
    closed_at        {timestamp} NULL,
    next_step_at     {timestamp} NULL,
    next_step_kind   {text:16}  NULL,
    next_step_level  {int}      NULL,
    reminder_count   {int}      NOT NULL,
    escalation_count {int}      NOT NULL,
    row_version      {int}      NOT NULL
);
CREATE INDEX ix_mechanism_followups_relation ON {schema}mechanism_followups (relation_id, status);
CREATE INDEX ix_mechanism_followups_department ON {schema}mechanism_followups (department_id, raised_at);
CREATE INDEX ix_mechanism_followups_next_step ON {schema}mechanism_followups (next_step_at);
