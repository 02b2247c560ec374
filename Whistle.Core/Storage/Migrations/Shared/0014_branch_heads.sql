-- Issue 16: the township's say over branch heads. The heads of each branch (with history), the periods of the
-- performance assessment (实绩考核) and one form per stationed branch and period (each correction a new version),
-- and the recommendations on appointing and removing a head (任免建议: the institution's 征求意见 and the township's
-- own), each with its escalation chain's next step. The county's settings for them travel as one JSON column.
ALTER TABLE {schema}county {add-column} heads_json {text} NULL;
{go}
CREATE TABLE {schema}branch_heads (
    id             {text:40}  NOT NULL PRIMARY KEY,
    branch_id      {text:140} NOT NULL,
    post           {text:16}  NOT NULL,
    name           {text:100} NOT NULL,
    title          {text:100} NOT NULL,
    held_from      {timestamp} NOT NULL,
    held_until     {timestamp} NULL,
    appointed_by   {text:100} NOT NULL,
    ended_by       {text:100} NULL,
    created_at     {timestamp} NOT NULL
);
CREATE INDEX ix_branch_heads_branch ON {schema}branch_heads (branch_id, post, held_until);
{go}
CREATE TABLE {schema}assessment_periods (
    id             {text:16}  NOT NULL PRIMARY KEY,
    kind           {text:16}  NOT NULL,
    starts_at      {timestamp} NOT NULL,
    ends_at        {timestamp} NOT NULL,
    closed_at      {timestamp} NOT NULL,
    due_at         {timestamp} NOT NULL,
    weight         {real}      NOT NULL
);
{go}
CREATE TABLE {schema}assessment_forms (
    id                 {text:40}  NOT NULL PRIMARY KEY,
    period_id          {text:16}  NOT NULL,
    form_version       {int}      NOT NULL,
    previous_form_id   {text:40}  NULL,
    township_id        {text:64}  NOT NULL,
    branch_id          {text:140} NOT NULL,
    agency_code        {text:64}  NOT NULL,
    head_id            {text:40}  NULL,
    head_name          {text:100} NULL,
    head_title         {text:100} NULL,
    status             {text:16}  NOT NULL,
    evidence_json      {text}     NOT NULL,
    issued_at          {timestamp} NOT NULL,
    due_at             {timestamp} NOT NULL,
    grade              {text:32}  NULL,
    opinion            {text}     NULL,
    correction_reason  {text}     NULL,
    submitted_at       {timestamp} NULL,
    submitted_by       {text:100} NULL,
    submitted_by_name  {text:200} NULL,
    idempotency_key    {text:200} NULL,
    next_step_at       {timestamp} NULL,
    next_step_kind     {text:16}  NULL,
    next_step_level    {int}      NULL,
    reminder_count     {int}      NOT NULL DEFAULT 0,
    escalation_count   {int}      NOT NULL DEFAULT 0,
    row_version        {int}      NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX ux_assessment_forms_version ON {schema}assessment_forms (period_id, branch_id, form_version);
CREATE UNIQUE INDEX ux_assessment_forms_idempotency ON {schema}assessment_forms (submitted_by, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX ix_assessment_forms_township ON {schema}assessment_forms (township_id, period_id);
CREATE INDEX ix_assessment_forms_agency ON {schema}assessment_forms (agency_code, period_id);
CREATE INDEX ix_assessment_forms_next_step ON {schema}assessment_forms (next_step_at);
{go}
CREATE TABLE {schema}recommendations (
    id                   {text:40}  NOT NULL PRIMARY KEY,
    kind                 {text:16}  NOT NULL,
    action               {text:16}  NOT NULL,
    township_id          {text:64}  NOT NULL,
    branch_id            {text:140} NOT NULL,
    agency_code          {text:64}  NOT NULL,
    head_id              {text:40}  NULL,
    head_name            {text:100} NULL,
    candidate_name       {text:100} NULL,
    reasons              {text}     NOT NULL,
    evidence_json        {text}     NOT NULL,
    status               {text:16}  NOT NULL,
    opened_at            {timestamp} NOT NULL,
    opened_by            {text:100} NOT NULL,
    opened_by_name       {text:200} NOT NULL,
    due_at               {timestamp} NOT NULL,
    answer               {text:16}  NULL,
    answer_reasons       {text}     NULL,
    answer_action        {text}     NULL,
    answered_at          {timestamp} NULL,
    answered_by          {text:100} NULL,
    answered_by_name     {text:200} NULL,
    decision             {text}     NULL,
    decided_at           {timestamp} NULL,
    decided_by           {text:100} NULL,
    decided_by_name      {text:200} NULL,
    decided_without_answer {bool}   NULL,
    idempotency_key      {text:200} NULL,
    next_step_at         {timestamp} NULL,
    next_step_kind       {text:16}  NULL,
    next_step_level      {int}      NULL,
    reminder_count       {int}      NOT NULL DEFAULT 0,
    escalation_count     {int}      NOT NULL DEFAULT 0,
    row_version          {int}      NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX ux_recommendations_idempotency ON {schema}recommendations (opened_by, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX ix_recommendations_township ON {schema}recommendations (township_id, opened_at);
CREATE INDEX ix_recommendations_agency ON {schema}recommendations (agency_code, opened_at);
CREATE INDEX ix_recommendations_next_step ON {schema}recommendations (next_step_at);
