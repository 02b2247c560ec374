-- Timeline notes by code: a note the server writes itself (the unit a duty was dispatched to, a meeting's attendance)
-- keeps its Chinese text in note and carries its code and values (JSON) beside it, for the UI to say in its language.
-- Rows written before keep their text only (both columns NULL).
ALTER TABLE timeline ADD COLUMN note_code TEXT NULL;
ALTER TABLE timeline ADD COLUMN note_params TEXT NULL;
