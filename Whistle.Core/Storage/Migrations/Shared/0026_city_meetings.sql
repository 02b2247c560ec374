-- Issue 17: joint meetings (联席会议 / 定期会商) of the city level on the coordination meetings' tables. A meeting's
-- convener kind says who township_id names: a township (or none: the supervisors, county-wide), a department with the
-- institutions of its relations, or an institution with the departments it serves; a summons' participant kind says
-- what agency_code names: a county unit (an agency, branch_id its branch), a department or an institution.
ALTER TABLE {schema}meetings {add-column} convener_kind {text:16} NOT NULL DEFAULT 'township';
{go}
ALTER TABLE {schema}meeting_summons {add-column} participant_kind {text:16} NOT NULL DEFAULT 'unit';
{go}
ALTER TABLE {schema}meeting_decisions {add-column} relation_id {text:64} NULL;
