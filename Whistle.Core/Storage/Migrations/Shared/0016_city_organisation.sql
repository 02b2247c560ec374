-- Issue 17: the city level. Departments (行业主管部门), institutions (事业单位) with their units (内设机构; a branch
-- stationed in a township is linked by its branches row, not copied), and the relations between them (一对一归口管理,
-- 一对多服务, 多对一指导), each with its departments (one the lead; a guiding department's field), its list of work items
-- (工作事项清单) and the records of its mechanism. Written by County/CityStore from the county file's "city".
ALTER TABLE {schema}county {add-column} city_id {text:64} NULL;
{go}
ALTER TABLE {schema}county {add-column} city_name {text:200} NULL;
{go}
ALTER TABLE {schema}county {add-column} city_name_en {text:200} NULL;
{go}
CREATE TABLE {schema}departments (
    id        {text:64}  NOT NULL PRIMARY KEY,
    name      {text:200} NOT NULL,
    name_en   {text:200} NOT NULL,
    position  {int}      NOT NULL
);
{go}
CREATE TABLE {schema}institutions (
    id          {text:64}  NOT NULL PRIMARY KEY,
    name        {text:200} NOT NULL,
    name_en     {text:200} NOT NULL,
    agency_code {text:64}  NULL,
    position    {int}      NOT NULL
);
{go}
CREATE TABLE {schema}institution_units (
    id             {text:140} NOT NULL PRIMARY KEY,
    institution_id {text:64}  NOT NULL,
    kind           {text:16}  NOT NULL,
    name           {text:200} NULL,
    name_en        {text:200} NULL,
    branch_id      {text:140} NULL,
    position       {int}      NOT NULL
);
CREATE INDEX ix_institution_units_institution ON {schema}institution_units (institution_id, position);
{go}
CREATE TABLE {schema}city_relations (
    id             {text:64}  NOT NULL PRIMARY KEY,
    kind           {text:32}  NOT NULL,
    institution_id {text:64}  NOT NULL,
    name           {text:200} NOT NULL,
    name_en        {text:200} NOT NULL,
    position       {int}      NOT NULL
);
CREATE INDEX ix_city_relations_institution ON {schema}city_relations (institution_id);
{go}
CREATE TABLE {schema}relation_departments (
    relation_id   {text:64}  NOT NULL,
    department_id {text:64}  NOT NULL,
    role          {text:16}  NOT NULL,
    field         {text:200} NULL,
    field_en      {text:200} NULL,
    position      {int}      NOT NULL,
    PRIMARY KEY (relation_id, department_id)
);
CREATE INDEX ix_relation_departments_department ON {schema}relation_departments (department_id);
{go}
CREATE TABLE {schema}work_items (
    code                   {text:64}  NOT NULL PRIMARY KEY,
    relation_id            {text:64}  NOT NULL,
    department_id          {text:64}  NULL,
    unit_id                {text:140} NULL,
    name                   {text:200} NOT NULL,
    name_en                {text:200} NOT NULL,
    process                {text}     NOT NULL,
    content                {text}     NOT NULL,
    standard               {text}     NOT NULL,
    report_within_minutes  {int}      NOT NULL,
    resolve_within_minutes {int}      NOT NULL,
    position               {int}      NOT NULL,
    active                 {bool}     NOT NULL
);
CREATE INDEX ix_work_items_relation ON {schema}work_items (relation_id, position);
{go}
CREATE TABLE {schema}relation_mechanisms (
    relation_id {text:64}  NOT NULL,
    kind        {text:32}  NOT NULL,
    title       {text:200} NOT NULL,
    body        {text}     NULL,
    reference   {text:400} NULL,
    PRIMARY KEY (relation_id, kind)
);
