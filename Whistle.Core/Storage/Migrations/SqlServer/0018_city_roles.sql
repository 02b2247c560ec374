-- Issue 17: the city level's roles (department, institution, establishment-office) are longer than 16 characters.
-- SQLite keeps text of any length; the other dialects widen users.role.
ALTER TABLE dbo.users ALTER COLUMN role nvarchar(32) NOT NULL;
GO
