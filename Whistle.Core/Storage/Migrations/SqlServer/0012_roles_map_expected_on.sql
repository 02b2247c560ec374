-- Issue 13 (what each role expected): the townships' boundaries for the supervisor's map (GeoJSON geometry from the
-- county file), and the day a unit expects to finish work that is due in days (a meeting's decision), instead of an
-- ETA in minutes.
ALTER TABLE dbo.townships ADD boundary nvarchar(max) NULL;
GO
ALTER TABLE dbo.assignments ADD expected_on nvarchar(10) NULL;
GO
