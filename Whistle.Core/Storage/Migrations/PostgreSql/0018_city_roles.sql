-- Issue 17: the city level's roles (department, institution, establishment-office) are longer than 16 characters.
-- SQLite keeps text of any length; the other dialects widen users.role.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (char_length(role) <= 32);
