-- Issue 17, part 3: what an institution submits to its departments — a request for instructions (请示, answered with a
-- 批复: approved or not, with its text), a report (报告, answered 阅知) and the filing of an office's or branch's head
-- appointment (选拔任用备案, acknowledged or objected to with reasons) — each along one relation to one of its
-- departments, answered within a limit (the relation's mechanism record's withinDays, else Whistle:Submissions), with
-- its escalation chain's next step. A filing about a stationed branch's head names the consultation of the township
-- (任免建议 / 征求意见) it follows, or says it was filed without the township's opinion. Written by City/SubmissionStore.
ALTER TABLE {schema}relation_mechanisms {add-column} within_days {int} NULL;
{go}
CREATE TABLE {schema}submissions (
    id                 {text:40}  NOT NULL PRIMARY KEY,
    kind               {text:16}  NOT NULL,
    relation_id        {text:64}  NOT NULL,
    institution_id     {text:64}  NOT NULL,
    unit_id            {text:140} NULL,
    department_id      {text:64}  NOT NULL,
    field              {text:200} NULL,
    title              {text:200} NOT NULL,
    body               {text}     NOT NULL,
    head_unit_id       {text:140} NULL,
    head_name          {text:100} NULL,
    head_title         {text:100} NULL,
    recommendation_id  {text:40}  NULL,
    without_opinion    {bool}     NULL,
    status             {text:16}  NOT NULL,
    opened_at          {timestamp} NOT NULL,
    opened_by          {text:100} NOT NULL,
    opened_by_name     {text:200} NOT NULL,
    due_at             {timestamp} NOT NULL,
    answer             {text:16}  NULL,
    answer_text        {text}     NULL,
    answered_at        {timestamp} NULL,
    answered_by        {text:100} NULL,
    answered_by_name   {text:200} NULL,
    idempotency_key    {text:200} NULL,
    next_step_at       {timestamp} NULL,
    next_step_kind     {text:16}  NULL,
    next_step_level    {int}      NULL,
    reminder_count     {int}      NOT NULL DEFAULT 0,
    escalation_count   {int}      NOT NULL DEFAULT 0,
    row_version        {int}      NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX ux_submissions_idempotency ON {schema}submissions (opened_by, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX ix_submissions_institution ON {schema}submissions (institution_id, opened_at);
CREATE INDEX ix_submissions_department ON {schema}submissions (department_id, opened_at);
CREATE INDEX ix_submissions_next_step ON {schema}submissions (next_step_at);
